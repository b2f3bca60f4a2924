"""Learning-rate schedules: ``StepLR`` and ``LinearLR``, as in ``torch.optim.lr_scheduler``.

A schedule changes ``optimizer.lr``; call its ``step()`` once per epoch, after
``optimizer.step()``. Like PyTorch's, the update is recursive (it scales the current
``lr``), so it composes with an ``lr`` you set by hand.
"""

from __future__ import annotations

from typing import Any

from .optim import Optimizer

__all__ = ["LinearLR", "StepLR"]


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected a positive int")
    return value


def _check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an nn optimizer, got {type(optimizer).__name__}")
    return optimizer


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: the optimizer whose ``lr`` to change.
        step_size: epochs between decays (a positive int).
        gamma: the decay factor.

    Example:
        >>> from autograd import Value
        >>> from nn.optim import SGD
        >>> opt = SGD([Value(0.0)], lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> for _ in range(4):
        ...     sched.step()
        ...     print(opt.lr)
        1.0
        0.5
        0.5
        0.25
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer = _check_optimizer("StepLR", optimizer)
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma >= 0:
            raise ValueError(f"StepLR: invalid gamma {gamma!r}; expected a number >= 0")
        self.gamma = float(gamma)
        self.last_epoch = 0

    def step(self) -> None:
        """Advance one epoch, decaying the learning rate when a ``step_size`` boundary is hit.

        Example:
            >>> from autograd import Value
            >>> from nn.optim import SGD
            >>> opt = SGD([Value(0.0)], lr=1.0)
            >>> sched = StepLR(opt, step_size=1, gamma=0.5); sched.step(); opt.lr
            0.5
        """
        self.last_epoch += 1
        if self.last_epoch % self.step_size == 0:
            self.optimizer.lr = self.optimizer.lr * self.gamma

    def get_last_lr(self) -> list[float]:
        """The current learning rate, in a list as PyTorch returns it (one per group).

        Example:
            >>> from autograd import Value
            >>> from nn.optim import SGD
            >>> StepLR(SGD([Value(0.0)], lr=0.3), step_size=5).get_last_lr()
            [0.3]
        """
        return [self.optimizer.lr]


class LinearLR:
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` of its
    starting value over ``total_iters`` epochs, then keep it.

    On construction the learning rate becomes ``lr * start_factor`` (as in PyTorch); use it
    for a warm-up (``start_factor < 1``) or a linear decay (``end_factor < 1``).

    Args:
        optimizer: the optimizer whose ``lr`` to change.
        start_factor: factor at epoch 0, in (0, 1].
        end_factor: factor from epoch ``total_iters`` on, in [0, 1].
        total_iters: the number of epochs the change takes.

    Example:
        >>> from autograd import Value
        >>> from nn.optim import SGD
        >>> opt = SGD([Value(0.0)], lr=1.0)
        >>> sched = LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=4)
        >>> lrs = []
        >>> for _ in range(5):
        ...     sched.step(); lrs.append(round(opt.lr, 12))
        >>> lrs
        [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.optimizer = _check_optimizer("LinearLR", optimizer)
        for name, value, low_open in (
            ("start_factor", start_factor, True),
            ("end_factor", end_factor, False),
        ):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not (0 < value <= 1 if low_open else 0 <= value <= 1):
                bounds = "(0, 1]" if low_open else "[0, 1]"
                raise ValueError(
                    f"LinearLR: invalid {name} {value!r}; expected a number in {bounds}"
                )
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        self.last_epoch = 0
        self.optimizer.lr = self.optimizer.lr * self.start_factor

    def step(self) -> None:
        """Advance one epoch (after ``total_iters`` epochs the learning rate stays put).

        Example:
            >>> from autograd import Value
            >>> from nn.optim import SGD
            >>> opt = SGD([Value(0.0)], lr=1.0)
            >>> sched = LinearLR(opt, start_factor=0.5, total_iters=1); sched.step(); opt.lr
            1.0
        """
        self.last_epoch += 1
        if self.last_epoch > self.total_iters:
            return
        # PyTorch's recursive form: the ratio of this epoch's factor to the previous one's.
        start, end, n = self.start_factor, self.end_factor, self.total_iters
        ratio = 1.0 + (end - start) / (n * start + (self.last_epoch - 1) * (end - start))
        self.optimizer.lr = self.optimizer.lr * ratio

    def get_last_lr(self) -> list[float]:
        """The current learning rate, in a list as PyTorch returns it (one per group).

        Example:
            >>> from autograd import Value
            >>> from nn.optim import SGD
            >>> LinearLR(SGD([Value(0.0)], lr=0.3), start_factor=0.5).get_last_lr()
            [0.15]
        """
        return [self.optimizer.lr]
