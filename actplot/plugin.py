"""The public API for plugins: what a package needs to add activations to actplot.

A plugin package declares an entry point in the group `actplot.activations` whose object is an
Activation, a list of them, or a function returning either::

    [project.entry-points."actplot.activations"]
    demo = "actplot_plugin_demo:ACTIVATIONS"

Each forward is `(F, x, params) -> tensor`, where F is torch.nn.functional, x a tensor and params a
dict of the parameters' values; build it from tensor methods and F so that the module imports no
torch (then `actplot list` stays fast). Declare kinks and jumps with kink() and jump(): they are
marked on figures and held to autograd by `--check`. See examples/actplot-plugin-demo.
"""

from .registry import Activation, Breakpoint, Parameter, jump, kink

__all__ = ["Activation", "Breakpoint", "Parameter", "jump", "kink"]
