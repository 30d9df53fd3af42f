"""What changes hands when a store loses its showroom: jobs beyond the store, and the
owners' profit and loss. :mod:`dealernet.analysis.impact` calls these on each block of
Monte Carlo draws (arrays are draws x stores).

**Jobs.** ``jobs_lost`` is gross: the jobs that go at the store. ``jobs_gained_host`` are
the store's people who move to the host (not in ``jobs_lost``). Of the jobs lost, some are
re-created where the customers go, at the store's own staff per unit of work: the sales
and F&I work of buyers who go to competing brands (``jobs_to_competitors``, with the
service work that goes to other garages) or to the brand's other stores
(``jobs_to_brand_other``). ``net_jobs_lost = jobs_lost - jobs_to_competitors -
jobs_to_brand_other`` is what vanishes from the region's car retail: the work of buyers
who find no luxury store in reach, and the work the host does with staff it already has.
Office jobs re-created elsewhere are capped at the office jobs lost. ``spin_off_jobs`` =
``spin_off.jobs_per_job`` x net jobs lost (indirect and induced jobs, not in any other
figure).

**The owners' profit and loss**, a year after the change
(:data:`~dealernet.analysis.impact.PNL`). A store absorbed into a host of its own owner
group (``same_owner_host`` true) is a *co-location*: the owner loses the gross profit
(department gross margins ``gross_margin.*``) of the business that does not follow to the
host, stops paying the jobs lost (``earnings.annual``) and the stand-alone showroom
(``occupancy.saved_per_store``). Absorbed into another owner's host (``same_owner_host``
false or not known) it is a *franchise transfer*: the source owner gives up the store's
pre-tax profit (``return_on_sales`` x revenue, ``profit_given_up``) and receives once a
``buyout`` of ``blue_sky_multiple`` x that profit (nothing when the store loses money: a
buyer pays blue sky only for expected profit). A closed store's owner gives up its pre-tax
profit and receives nothing. ``profit_change`` = - gross profit lost + payroll avoided +
occupancy avoided - profit given up, for every store. In a transfer the host's owner gains
``host_gross_profit_gained``: gross profit on the customers who follow, less the payroll of
the staff who move with them, before the host's other costs (the roll-up sums it by the
host's owner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.schema import DECISION

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions

#: How a store's franchise changes hands, from its decision and ``same_owner_host``.
COLOCATION, TRANSFER, CLOSURE = "co-location", "transfer", "closure"
#: Decisions column: whether the host has the store's owner group (written by the rules).
SAME_OWNER_HOST = "same_owner_host"
#: Revenue departments whose gross margin makes the sales department's gross profit.
_SALES_DEPARTMENTS = ("new", "used", "fi")


def franchise_changes(decisions: pd.DataFrame) -> np.ndarray:
    """Per store: ``co-location``, ``transfer``, ``closure`` or ``""`` (nothing changes).

    An absorbed store whose host's owner is not known counts as another owner's: a transfer.
    """
    decision = decisions[DECISION].to_numpy()
    same = decisions[SAME_OWNER_HOST].astype("boolean").fillna(False).to_numpy(dtype=bool)
    out = np.full(len(decisions), "", dtype=object)
    out[(decision == "absorb") & same] = COLOCATION
    out[(decision == "absorb") & ~same] = TRANSFER
    out[decision == "close"] = CLOSURE
    return out


def jobs_elsewhere(
    base: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    shares: dict[str, np.ndarray],
    lost: dict[str, np.ndarray],
    affected: np.ndarray,
) -> dict[str, np.ndarray]:
    """Jobs lost that are re-created where the customers go, net and spin-off jobs,
    from the gross jobs in ``lost``.

    The work of customers who go elsewhere takes jobs at the store's own ratios: sales and
    office (F&I, accounting) follow the buyers, service staff the service work. Office
    jobs re-created are capped at the office jobs lost (the back office the host keeps may
    already be more than the work that follows needs).
    """
    site = shares["sales_site"]
    brand_other = np.clip(shares["sales_brand"] - site, 0.0, None)
    rivals = np.clip(1 - shares["sales_brand"] - shares["no_store"], 0.0, None)
    service_other = np.clip(shares["service_brand"] - shares["service_site"], 0.0, None)
    service_out = np.clip(1 - shares["service_brand"], 0.0, None)
    office = base["employees_office"]
    leaving = brand_other + rivals
    cap = np.divide(
        lost["jobs_lost_office"],
        office * leaving,
        out=np.zeros_like(leaving),
        where=office * leaving > 0,
    )
    office_scale = office * np.minimum(cap, 1.0)
    to_rivals = base["employees_sales"] * rivals + base["employees_service"] * service_out
    to_brand = base["employees_sales"] * brand_other + base["employees_service"] * service_other
    out = {
        "jobs_to_competitors": np.where(affected, to_rivals + office_scale * rivals, 0.0),
        "jobs_to_brand_other": np.where(affected, to_brand + office_scale * brand_other, 0.0),
    }
    out["net_jobs_lost"] = (
        lost["jobs_lost"] - out["jobs_to_competitors"] - out["jobs_to_brand_other"]
    )
    out["spin_off_jobs"] = out["net_jobs_lost"] * p["spin_off.jobs_per_job"][:, None]
    return out


def owner_pnl(
    base: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    a: Assumptions,
    brand: str,
    shares: dict[str, np.ndarray],
    lost: dict[str, np.ndarray],
    change: np.ndarray,
) -> dict[str, np.ndarray]:
    """The source owner's profit and loss, the buy-out and the host owner's gain
    (:data:`~dealernet.analysis.impact.PNL`), from the jobs figures in ``lost``."""
    colocated = (change == COLOCATION)[None, :]
    transfer = (change == TRANSFER)[None, :]
    given_up = np.isin(change, (TRANSFER, CLOSURE))[None, :]
    margin = {d: p[f"gross_margin.{d}"][:, None] for d in (*_SALES_DEPARTMENTS, "service")}
    gross_sales = sum(base[f"revenue_{d}"] * margin[d] for d in _SALES_DEPARTMENTS)
    gross_service = base["revenue_service"] * margin["service"]
    earnings = p["earnings.annual"][:, None]
    profit = base["revenue_total"] * p[a.for_brand("return_on_sales", brand).key][:, None]
    multiple = p[a.for_brand("blue_sky_multiple", brand).key][:, None]
    occupancy = p["occupancy.saved_per_store"][:, None]
    out = {
        "gross_profit_lost_sales": np.where(
            colocated, gross_sales * (1 - shares["sales_site"]), 0.0
        ),
        "gross_profit_lost_service": np.where(
            colocated, gross_service * (1 - shares["service_site"]), 0.0
        ),
        "payroll_avoided": np.where(colocated, lost["jobs_lost"] * earnings, 0.0),
        "occupancy_avoided": np.where(colocated, occupancy, 0.0),
        "profit_given_up": np.where(given_up, profit, 0.0),
        "buyout": np.where(transfer, multiple * np.clip(profit, 0.0, None), 0.0),
    }
    out["profit_change"] = (
        out["payroll_avoided"]
        + out["occupancy_avoided"]
        - out["gross_profit_lost_sales"]
        - out["gross_profit_lost_service"]
        - out["profit_given_up"]
    )
    follows = gross_sales * shares["sales_site"] + gross_service * shares["service_site"]
    moved = lost["jobs_gained_host"]
    out["host_gross_profit_gained"] = np.where(transfer, follows - moved * earnings, 0.0)
    return out
