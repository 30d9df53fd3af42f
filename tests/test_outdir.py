"""The output folder: dealernet deletes only what its manifest lists, locks the folder, and
fails early and clearly when it cannot write (the corpus in ``tests/data/bad/outdir/`` has
the command-line cases; these are the ones it cannot express: HOME, permissions, a full disk,
a killed lock holder, the API)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealernet import _atomic, _outdir
from dealernet._lock import FolderLock, Locked
from dealernet._outdir import OutputFolderError, check_out, check_output_file, output_folder
from dealernet.cli.main import cli
from helpers import ROOT

TINY = ROOT / "tests" / "data" / "bad" / "outdir" / "tiny.csv"
BEFORE = ROOT / "tests" / "data" / "bad" / "outdir" / "tiny_before.csv"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(out: Path, *extra: str, dealers: Path = TINY) -> tuple[int, str]:
    args = ["run", "--dealers", str(dealers), "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, " ".join(result.output.split())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".dealernet" not in p.parts and p.name != "run.json"
    }


def manifest(out: Path) -> dict:
    return json.loads((out / "run.json").read_text("utf-8"))


# --- the manifest -------------------------------------------------------------------------


def test_manifest_lists_every_file_written_with_version_and_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = run(out)
    assert code == 0, output
    data = manifest(out)
    assert data["complete"] is True and data["command"] == "run"
    assert data["dealernet"] and data["finished"].endswith("Z")
    on_disk = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and ".dealernet" not in p.parts
    }
    assert set(data["files"]) | {"run.json"} == on_disk == set(data["written"]) | {"run.json"}
    assert all(not f.startswith("/") and ".." not in f for f in data["files"])
    assert (out / ".dealernet" / "lock").read_text() == ""  # the lock is let go, no pid left


def test_second_run_removes_only_reports_its_manifest_lists(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(out, "--no-sensitivity", dealers=BEFORE)[0] == 0
    old = sorted(p.name for p in (out / "owners").glob("old-group.*"))
    assert old  # the earlier run reported on "Old Group"
    mine = {
        "owners/contract-20231215.pdf": "contract",
        "owners/zeta-motors-0123abcd.html": "looks like ours, never was",
        "projects/2024/.thesis.docx.a1B2c3D4.tmp": "a draft",
    }
    for rel, text in mine.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    code, output = run(out, "--no-sensitivity")
    assert code == 0, output
    assert not list((out / "owners").glob("old-group.*"))
    assert {rel: (out / rel).read_text() for rel in mine} == mine
    files = set(manifest(out)["files"])
    assert not any(f.startswith("owners/old-group.") for f in files)
    assert not any(rel in files for rel in mine)


def test_reports_named_by_earlier_versions_go_when_stale(tmp_path: Path) -> None:
    """Earlier versions named reports ``old-group-1a2b3c4d.html``; a run's manifest lists
    them, so they are ours and go once stale, while the plain names of this run are kept."""
    out = tmp_path / "out"
    assert run(out, "--no-sensitivity", dealers=BEFORE)[0] == 0
    data = manifest(out)
    renamed = {}
    for path in sorted((out / "owners").glob("*-group.*")):
        old = path.with_name(f"{path.stem}-1a2b3c4d{path.suffix}")
        path.rename(old)
        renamed[f"owners/{path.name}"] = f"owners/{old.name}"
    assert "owners/old-group.html" in renamed and "owners/alpha-group.html" in renamed
    data["files"] = [renamed.get(f, f) for f in data["files"]]
    (out / "run.json").write_text(json.dumps(data), encoding="utf-8")
    code, output = run(out, "--no-sensitivity")
    assert code == 0, output
    names = sorted(p.name for p in (out / "owners").iterdir())
    assert not [n for n in names if "-1a2b3c4d." in n], names  # Old's and Alpha's old names
    assert "alpha-group.html" in names and "old-group.html" not in names
    assert not any("1a2b3c4d" in f for f in manifest(out)["files"])


def test_library_write_keeps_a_manifest_even_beside_other_files(
    tmp_path: Path, sample_result
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    written = sample_result.write(tmp_path, reports=False)
    assert {p.relative_to(tmp_path).as_posix() for p in written} <= set(manifest(tmp_path)["files"])
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --- places that are no run folder -------------------------------------------------------


def test_home_folder_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    with pytest.raises(OutputFolderError, match="is your home folder.*--out results-2"):
        check_out(home)
    code, output = run(home)
    assert code == 1 and "is your home folder" in output
    assert list(home.iterdir()) == []


def test_root_and_files_refused_without_touching_anything(tmp_path: Path) -> None:
    with pytest.raises(OutputFolderError, match="root of the file system"):
        check_out(Path("/"))
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        check_out(afile)
    with pytest.raises(OutputFolderError, match="afile is a file, not a folder"):
        check_out(afile / "deeper" / "out")
    assert afile.read_text() == "x"


def test_output_file_checks(tmp_path: Path) -> None:
    with pytest.raises(OutputFolderError, match="is a folder"):
        check_output_file(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        check_output_file(tmp_path / "afile" / "map.html")
    check_output_file(tmp_path / "new" / "map.html")  # made when written
    assert not (tmp_path / "new").exists()


def test_bad_inputs_create_no_out(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(TINY.read_text().replace("30.2672", "999"))
    out = tmp_path / "deep" / "out"
    code, output = run(out, dealers=bad)
    assert code == 1 and "latitude" in output
    assert not (tmp_path / "deep").exists()


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
def test_read_only_out_fails_before_the_analysis(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        code, output = run(out, "--no-reports")
    finally:
        out.chmod(0o755)
    assert code == 1 and "is not writable" in output and "Fix: choose a folder" in output
    assert list(out.iterdir()) == []


def test_unwritable_subfolder_fails_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (CI) permissions do not stop a write: the probe is made to fail instead."""
    out = tmp_path / "out"
    assert run(out, "--no-reports", "--no-sensitivity")[0] == 0
    before = snapshot(out)
    real_probe = _outdir._probe
    analysed: list[bool] = []

    def probe(folder: Path) -> None:
        if folder.name == "data":
            raise PermissionError(errno.EACCES, "Permission denied", str(folder / ".probe"))
        real_probe(folder)

    monkeypatch.setattr(_outdir, "_probe", probe)
    import dealernet.analysis.pipeline as pipeline

    real_run = pipeline.run
    monkeypatch.setattr(pipeline, "run", lambda *a, **k: analysed.append(True) or real_run(*a, **k))
    code, output = run(out, "--no-reports", "--no-sensitivity")
    assert code == 1, output
    assert f"{out / 'data'} is not writable (Permission denied)" in output
    assert analysed == []  # refused before the slow work
    assert snapshot(out) == before


# --- a full disk -------------------------------------------------------------------------


@pytest.mark.parametrize("failing", [1, 4])
def test_full_disk_is_a_clear_message_and_marks_the_run_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    out = tmp_path / "out"
    assert run(out, "--no-reports", "--no-sensitivity", dealers=BEFORE)[0] == 0
    before = snapshot(out)
    calls: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        calls.append(str(dst))
        if len(calls) == failing:
            raise OSError(errno.ENOSPC, "No space left on device", str(src))
        real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    code, output = run(out, "--no-reports", "--no-sensitivity")
    monkeypatch.undo()
    assert code == 1, output
    failed = Path(calls[failing - 1])
    assert f"the disk is full while writing {failed}" in output
    assert "free some space" in output and "choose another --out" in output
    assert "previous outputs are intact" in output and "marks this run incomplete" in output
    after = snapshot(out)
    assert set(after) == set(before)
    assert not [p for p in out.rglob("*.tmp")]
    data = manifest(out)
    assert data["complete"] is False
    for rel in after:  # every file whole: the earlier run's, or one this run finished
        assert after[rel] == before[rel] or rel in data["written"], rel


def test_write_error_names_the_target_not_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace(src: str, dst: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", src)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    with pytest.raises(_atomic.WriteError, match=r"read-only: cannot write .*table\.csv"):
        _atomic.write_text(tmp_path / "table.csv", "a\n")
    assert list(tmp_path.iterdir()) == []


# --- temporaries -------------------------------------------------------------------------


def test_stale_temporaries_are_ours_only_and_one_level_deep(tmp_path: Path) -> None:
    ours = tmp_path / ".network.html.a1B2c3D4.tmp"
    user = tmp_path / ".thesis.docx.a1B2c3D4.tmp"
    deeper = tmp_path / "sub" / ".decisions.csv.a1B2c3D4.tmp"
    deeper.parent.mkdir()
    for path in (ours, user, deeper):
        path.write_text("x")
    (tmp_path / "linked").symlink_to(tmp_path / "sub")
    assert _atomic.remove_stale_temporaries(tmp_path) == [ours]
    assert user.exists() and deeper.exists()
    assert _atomic.remove_stale_temporaries(tmp_path / "linked") == []
    assert deeper.exists()


# --- the lock ----------------------------------------------------------------------------


def test_two_handles_exclude_each_other_and_name_the_holder(tmp_path: Path) -> None:
    first, second = FolderLock(tmp_path / "lock"), FolderLock(tmp_path / "lock")
    first.acquire("run")
    with pytest.raises(Locked) as held:
        second.acquire("run")
    assert held.value.pid == os.getpid()
    first.release()
    second.acquire("run")
    second.release()


def test_a_killed_holder_does_not_block_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".dealernet").mkdir(parents=True)
    code = (
        "import sys, time; from dealernet._lock import FolderLock; "
        "FolderLock(sys.argv[1]).acquire('run'); print('ready', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(out / ".dealernet" / "lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        busy = rf"another dealernet run \(pid {holder.pid}\)"
        with pytest.raises(OutputFolderError, match=busy), output_folder(out, "run") as folder:
            folder.open()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()
    assert str(holder.pid) in (out / ".dealernet" / "lock").read_text()  # left by the killed
    code_, output = run(out, "--no-reports", "--no-sensitivity")
    assert code_ == 0, output


def test_a_run_in_another_process_is_refused_at_once(tmp_path: Path) -> None:
    """Two real processes: the second exits 1 naming the first, which finishes normally."""
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "dealernet", "run", "--dealers", str(TINY), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = out / ".dealernet" / "lock"
        for _ in range(600):  # until the first run holds the lock
            if lock.exists() and lock.read_text().strip():
                break
            if first.poll() is not None:
                pytest.skip("the first run finished before it could be raced")
            import time

            time.sleep(0.02)
        second = subprocess.run(
            [sys.executable, "-m", "dealernet", "run", "--dealers", str(BEFORE)]
            + ["--out", str(out), "--no-reports"],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        assert first.wait(timeout=120) == 0
    if second.returncode == 0:
        pytest.skip("the first run finished before the second started")
    assert second.returncode == 1
    text = " ".join(second.stderr.split())
    assert f"another dealernet run (pid {first.pid}) is writing to {out}/" in text
    assert manifest(out)["complete"] is True and manifest(out)["command"] == "run"
