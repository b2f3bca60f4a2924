"""Optimizers: ``SGD``, ``Adam`` and ``AdamW``, with PyTorch's update order and defaults.

An optimizer never computes gradients: ``step()`` reads each parameter's ``.grad`` (filled
by ``loss.backward()``) and writes its ``.data``. Its state (momentum buffers, moment
estimates, step count) is plain floats, so ``state_dict()`` is JSON-ready.

Every parameter is updated on every step. (PyTorch skips a parameter whose ``.grad`` is
None; a chainrule parameter always has a float ``.grad``, 0.0 when unused, so with weight
decay or momentum an unused parameter still moves.)
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from autograd import Value
from autograd._numbers import is_number

from ._grads import zero_grads

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]


def _real(owner: str, name: str, value: Any) -> float:
    if not is_number(value):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}: {value!r}")
    return float(value)


def _at_least_zero(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if not x >= 0.0:  # written so that nan fails too
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected a number >= 0")
    return x


def _beta(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if not 0.0 <= x < 1.0:
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected 0 <= {name} < 1")
    return x


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


def _lerp(start: float, end: float, weight: float) -> float:
    # torch.lerp's formula for a scalar weight (two branches, for accuracy near each end).
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _float_list(
    owner: str, key: str, value: Any, n: int, allow_none: bool = False
) -> list[float | None]:
    if not isinstance(value, list) or len(value) != n:
        got = f"a list of length {len(value)}" if isinstance(value, list) else reprlib.repr(value)
        raise ValueError(f"{owner}: {key!r} must be a list of {n} numbers, got {got}")
    out: list[float | None] = []
    for i, x in enumerate(value):
        if x is None and allow_none:
            out.append(None)
        else:
            out.append(_loaded_float(owner, f"{key}[{i}]", x))
    return out


def _loaded_float(owner: str, name: str, x: Any) -> float:
    """A number from a state dict as a float (an int too large for a float is refused)."""
    if not is_number(x):
        raise TypeError(
            f"{owner}: {name} must be a number, got {type(x).__name__}: {reprlib.repr(x)}"
        )
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{owner}: {name} is too large for a float") from None


# The largest step count loaded: beta ** t converts t to a float, which holds every int up
# to 2**53 exactly (and raises OverflowError beyond 1.8e308).
_MAX_STEP_COUNT = 2**53


def _check_loaded_hyperparameters(who: str, hyper: Mapping[str, Any]) -> None:
    """Refuse loaded settings that construct but break the next ``step()``.

    The constructor accepts them (PyTorch does too), but a checkpoint that holds them comes
    from a hand edit or a corrupted file: an infinite ``lr``, ``momentum`` or
    ``weight_decay`` turns every parameter into nan, and ``eps`` 0 divides by zero where a
    second moment is 0.
    """
    for key, value in hyper.items():
        if key == "betas":  # the constructor checks each is in [0, 1)
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError(
                    f"{who}: betas must be a pair (beta1, beta2), got {reprlib.repr(value)}"
                )
            for i, beta in enumerate(value):
                _loaded_float(who, f"betas[{i}]", beta)
        elif not isinstance(value, bool):
            x = _loaded_float(who, key, value)
            if not math.isfinite(x):
                raise ValueError(f"{who}: {key} must be finite, got {x!r}")
    if "eps" in hyper and not float(hyper["eps"]) > 0.0:
        raise ValueError(f"{who}: eps must be > 0, got {hyper['eps']!r}")


# An optimizer's per-parameter buffers by name: list[float] (Adam's moments) or
# list[float | None] (SGD's momentum, None before a parameter's first step). list is
# invariant and the buffers are updated in place, so no narrower type covers both.
_Buffers = dict[str, list[Any]]


class _CheckedState(NamedTuple):
    """A state dict that passed every check: what ``Optimizer._apply_state`` sets."""

    hyperparameters: Mapping[str, Any]
    step_count: int
    buffers: dict[str, list[float | None]]


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count.

    Args:
        params: the parameters to update (e.g. ``model.parameters()``); each once.
        lr: the learning rate (settable later through ``.lr``, as schedules do).

    Example:
        >>> p = Value(1.0); p.grad = 0.5
        >>> opt = SGD([p], lr=0.1); opt.step(); p.data
        0.95
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params must be a list of Values (e.g. model.parameters()), "
                f"got {type(params).__name__}"
            )
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        seen: set[Value] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: params[{i}] must be a Value, got {type(p).__name__}")
            if p in seen:
                raise ValueError(f"{name}: params[{i}] appears more than once in params")
            seen.add(p)
        self.lr = lr
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``; assign to change it.

        Example:
            >>> opt = SGD([Value(0.0)], lr=0.1)
            >>> opt.lr = 0.01; opt.lr
            0.01
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _at_least_zero(type(self).__name__, "lr", value)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients of leaves accumulate).

        Args:
            set_to_none: accepted so that PyTorch code runs unchanged; chainrule's
                gradients are always numbers, so True also sets 0.0 (the same training:
                a zero gradient adds nothing).

        Example:
            >>> p = Value(1.0); p.grad = 3.0
            >>> SGD([p], lr=0.1).zero_grad(set_to_none=True); p.grad
            0.0
        """
        zero_grads(self.params, set_to_none, type(self).__name__)

    def step(self) -> None:
        """Update every parameter's ``.data`` from its ``.grad`` (reads grads, never computes them).

        Example:
            >>> p = Value(2.0); p.grad = 1.0
            >>> SGD([p], lr=0.5).step(); p.data
            1.5
        """
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's keyword arguments (all but ``params``) and their current values.

        Example:
            >>> SGD([Value(0.0)], lr=0.1).hyperparameters()["lr"]
            0.1
        """
        raise NotImplementedError

    def _state_lists(self) -> _Buffers:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: type, hyperparameters, step count and buffers.

        Returns:
            A new dict of JSON-ready values (floats, ints, lists; None for a buffer not
            yet created). Buffers are listed in parameter order.

        Example:
            >>> opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
            >>> opt.state_dict()["state"]
            {'momentum_buffer': [None]}
        """
        return {
            "type": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "step_count": self.step_count,
            "state": {key: list(values) for key, values in self._state_lists().items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict()`` output; every check happens before anything changes.

        Raises:
            TypeError / ValueError: a wrong optimizer type, a different number of
            parameters, missing or unexpected keys, a non-numeric entry, or a value that
            would break the next ``step()``: a step count outside 0 to 2**53, a negative
            second moment, a non-finite setting, or ``eps`` 0.

        Example:
            >>> a = Adam([Value(1.0)], lr=0.01); b = Adam([Value(2.0)])
            >>> b.load_state_dict(a.state_dict()); b.lr
            0.01
        """
        self._apply_state(self._check_state(state))

    def _check_state(self, state: Any) -> _CheckedState:
        """Validate a state dict without changing anything; returns what ``_apply_state`` sets."""
        name = type(self).__name__
        who = f"{name}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: expected a mapping, got {type(state).__name__}")
        expected_keys = {"type", "hyperparameters", "step_count", "state"}
        if set(state) != expected_keys:
            raise ValueError(
                f"{who}: expected keys {sorted(expected_keys)}, got {reprlib.repr(sorted(state))}"
            )
        if state["type"] != name:
            raise ValueError(f"{who}: the state is for {reprlib.repr(state['type'])}, not {name!r}")
        step_count = state["step_count"]
        if (
            type(step_count) is not int  # not True, not 2.0
            or not 0 <= step_count <= _MAX_STEP_COUNT
        ):
            raise ValueError(
                f"{who}: step_count must be an int from 0 to 2**53, got {reprlib.repr(step_count)}"
            )
        hyper = state["hyperparameters"]
        own = self.hyperparameters()
        if not isinstance(hyper, Mapping) or set(hyper) != set(own):
            got = reprlib.repr(sorted(hyper) if isinstance(hyper, Mapping) else hyper)
            raise ValueError(f"{who}: hyperparameters must have keys {sorted(own)}, got {got}")
        _check_loaded_hyperparameters(who, hyper)
        # Validate by building a throwaway optimizer with the same settings.
        type(self)([Value(0.0)], **hyper)
        buffers = state["state"]
        own_buffers = self._state_lists()
        if not isinstance(buffers, Mapping) or set(buffers) != set(own_buffers):
            got = reprlib.repr(sorted(buffers) if isinstance(buffers, Mapping) else buffers)
            raise ValueError(f"{who}: state must have keys {sorted(own_buffers)}, got {got}")
        n = len(self.params)
        new_buffers = {
            key: _float_list(who, key, buffers[key], n, allow_none=key == "momentum_buffer")
            for key in own_buffers
        }
        for key in ("exp_avg_sq", "max_exp_avg_sq"):  # sqrt() of a negative raises in step()
            for i, x in enumerate(new_buffers.get(key, ())):
                if x is not None and x < 0.0:
                    raise ValueError(f"{who}: {key}[{i}] must be >= 0 (a second moment), got {x!r}")
        return _CheckedState(hyper, step_count, new_buffers)

    def _apply_state(self, checked: _CheckedState) -> None:
        own_buffers = self._state_lists()
        self._set_hyperparameters(checked.hyperparameters)
        self.step_count = checked.step_count
        for key, values in checked.buffers.items():
            own_buffers[key][:] = values

    def _set_hyperparameters(self, hyper: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    Per parameter, in PyTorch's order (``torch.optim.SGD``)::

        g = -grad if maximize else grad
        g = g + weight_decay * p                     (if weight_decay != 0)
        buf = g on the first step, else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf  (if momentum != 0)
        p = p - lr * g

    Args:
        params: the parameters to update.
        lr: learning rate (PyTorch's default 1e-3).
        momentum: momentum factor (0 disables the buffer).
        dampening: dampening of the gradient added to the buffer.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty coefficient added to the gradient.
        maximize: ascend instead of descend.

    Example:
        >>> p = Value(1.0)
        >>> opt = SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad(); (p * p).backward(); opt.step()
        >>> round(p.data, 6)  # 1 - 0.2 = 0.8, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
        0.46
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self._set_hyperparameters(
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "nesterov": nesterov,
                "weight_decay": weight_decay,
                "maximize": maximize,
            }
        )
        self.momentum_buffer: list[float | None] = [None] * len(self.params)

    def _set_hyperparameters(self, hyper: Mapping[str, Any]) -> None:
        momentum = _at_least_zero("SGD", "momentum", hyper["momentum"])
        dampening = _real("SGD", "dampening", hyper["dampening"])
        nesterov = _flag("SGD", "nesterov", hyper["nesterov"])
        weight_decay = _at_least_zero("SGD", "weight_decay", hyper["weight_decay"])
        maximize = _flag("SGD", "maximize", hyper["maximize"])
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening 0, "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.lr = hyper["lr"]
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov
        self.weight_decay, self.maximize = weight_decay, maximize

    def hyperparameters(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
            "maximize": self.maximize,
        }

    def _state_lists(self) -> _Buffers:
        return {"momentum_buffer": self.momentum_buffer}

    def step(self) -> None:
        """Apply one update to every parameter (see the class docstring for the formula)."""
        lr, momentum, dampening = self.lr, self.momentum, self.dampening
        weight_decay, nesterov, maximize = self.weight_decay, self.nesterov, self.maximize
        buffers = self.momentum_buffer
        for i, p in enumerate(self.params):
            g = -p.grad if maximize else p.grad
            if weight_decay != 0:
                g = g + weight_decay * p.data
            if momentum != 0:
                buf = buffers[i]
                buf = g if buf is None else momentum * buf + (1.0 - dampening) * g
                buffers[i] = buf
                g = g + momentum * buf if nesterov else buf
            p.data = p.data - lr * g
        self.step_count += 1


class Adam(Optimizer):
    """Adam, with PyTorch's order of operations and defaults (``torch.optim.Adam``).

    Per step t (from 1) and parameter::

        g = -grad if maximize else grad
        g = g + weight_decay * p            (coupled L2; AdamW decays p instead)
        m = lerp(m, g, 1 - beta1)           (= beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
        vmax = max(vmax, v)                 (amsgrad only; then v below is vmax)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom

    Args:
        params: the parameters to update.
        lr: learning rate.
        betas: decay rates of the first and second moment estimates, each in [0, 1).
        eps: added to the denominator for stability.
        weight_decay: L2 penalty coefficient (added to the gradient).
        amsgrad: use the maximum of past second moments (AMSGrad).
        maximize: ascend instead of descend.

    Example:
        >>> p = Value(1.0)
        >>> opt = Adam([p], lr=0.1)
        >>> (p * p).backward(); opt.step()
        >>> round(p.data, 6)  # the first Adam step moves by lr, whatever the gradient's size
        0.9
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self._set_hyperparameters(
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
            }
        )
        n = len(self.params)
        self.exp_avg = [0.0] * n
        self.exp_avg_sq = [0.0] * n
        self.max_exp_avg_sq = [0.0] * n

    def _set_hyperparameters(self, hyper: Mapping[str, Any]) -> None:
        name = type(self).__name__
        betas = hyper["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        beta1 = _beta(name, "beta1", betas[0])
        beta2 = _beta(name, "beta2", betas[1])
        eps = _at_least_zero(name, "eps", hyper["eps"])
        weight_decay = _at_least_zero(name, "weight_decay", hyper["weight_decay"])
        amsgrad = _flag(name, "amsgrad", hyper["amsgrad"])
        maximize = _flag(name, "maximize", hyper["maximize"])
        self.lr = hyper["lr"]
        self.betas = (beta1, beta2)
        self.eps, self.weight_decay = eps, weight_decay
        self.amsgrad, self.maximize = amsgrad, maximize

    def hyperparameters(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "amsgrad": self.amsgrad,
            "maximize": self.maximize,
        }

    def _state_lists(self) -> _Buffers:
        return {
            "exp_avg": self.exp_avg,
            "exp_avg_sq": self.exp_avg_sq,
            "max_exp_avg_sq": self.max_exp_avg_sq,
        }

    def step(self) -> None:
        """Apply one update to every parameter (see the class docstring for the formula)."""
        self.step_count += 1
        t = self.step_count
        lr, (beta1, beta2), eps = self.lr, self.betas, self.eps
        weight_decay, amsgrad, maximize = self.weight_decay, self.amsgrad, self.maximize
        decay_factor = 1.0 - lr * weight_decay  # AdamW's decoupled decay
        step_size = lr / (1.0 - beta1**t)
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**t)
        m, v, vmax = self.exp_avg, self.exp_avg_sq, self.max_exp_avg_sq
        for i, p in enumerate(self.params):
            g = -p.grad if maximize else p.grad
            if self._decoupled:
                p.data = p.data * decay_factor
            elif weight_decay != 0:
                g = g + weight_decay * p.data
            m[i] = _lerp(m[i], g, 1.0 - beta1)
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            if amsgrad:
                vmax[i] = max(vmax[i], v[i])
                denom = math.sqrt(vmax[i]) / bias_correction2_sqrt + eps
            else:
                denom = math.sqrt(v[i]) / bias_correction2_sqrt + eps
            p.data = p.data - step_size * m[i] / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (``torch.optim.AdamW``; default weight_decay 0.01).

    Each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``, then
    applies the Adam update with the raw gradient (no L2 term in the moments).

    Example:
        >>> p = Value(1.0)
        >>> opt = AdamW([p], lr=0.1, weight_decay=0.5)
        >>> opt.step()  # grad 0: only the decay acts
        >>> p.data
        0.95
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
