"""Reference pages that several entries cite."""

VISUALISING = ("Sheehan, Visualising Activation Functions in Neural Networks "
               "(dashee87.github.io, 2017)")
