"""Functions of the whole vector: the derivative drawn is the Jacobian diagonal."""

from __future__ import annotations

from .core import Activation

ENTRIES = [
    Activation(
        "softmax", lambda F, x, p: F.softmax(x, dim=-1), r"\frac{e^{x_i}}{\sum_j e^{x_j}}",
        "Softmax over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
        source="Bridle, Probabilistic Interpretation of Feedforward Classification Network "
               "Outputs (1990)",
    ),
    Activation(
        "softmin", lambda F, x, p: F.softmin(x, dim=-1), r"\frac{e^{-x_i}}{\sum_j e^{-x_j}}",
        "Softmin over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
        source="PyTorch, torch.nn.Softmin",
    ),
    Activation(
        "log_softmax", lambda F, x, p: F.log_softmax(x, dim=-1), r"x_i - \ln\sum_j e^{x_j}",
        "Log-softmax over the whole sampled vector; the derivative is the Jacobian diagonal.",
        vector=True,
        source="PyTorch, torch.nn.LogSoftmax",
    ),
]
