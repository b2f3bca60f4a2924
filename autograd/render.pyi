# `autograd.render` is `autograd.graph.render` under its older name: autograd/__init__.py
# registers the one module under both names at run time. This stub tells type checkers.
from autograd.graph.render import FORMATS as FORMATS
from autograd.graph.render import NO_RENDERER as NO_RENDERER
from autograd.graph.render import TIMEOUT as TIMEOUT
from autograd.graph.render import find_renderer as find_renderer
from autograd.graph.render import layout as layout
from autograd.graph.render import render as render
