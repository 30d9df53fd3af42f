"""``dealernet serve``: a scenario explorer in the browser, over the same library.

The layers: :mod:`~dealernet.serve.form` turns a scenario into the page's form and the form
back into a checked scenario (and its TOML); :mod:`~dealernet.serve.tabs` keeps each
browser tab's settings and results over a network prepared once; :mod:`~dealernet.serve.view`
makes what the page shows from a result, with the terminal's own formatting;
:mod:`~dealernet.serve.app` is the web application (Starlette), its routes and its guards.
Nothing here writes next to the user's files: uploads go to a private temporary folder.
"""
