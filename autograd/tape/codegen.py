"""Turning a tape into Python source: one statement per node, then the reverse sweep.

The source is generated only from the closed table of per-rule templates written here,
keyed by the identity of the engine's own ``Rule`` objects, and from numbers we print
ourselves with ``repr``. No text from the user (labels, rule names) ever reaches
``compile``: a rule without a template (a user's custom primitive) is called through its
``forward`` and ``derivative`` functions, bound as names. (Batched replay, in
``autograd.tape.batched``, generates no source at all.)

Every template repeats its rule's float arithmetic expression for expression, and the
reverse sweep visits nodes and parents in the eager engine's order, so float replay gives
the eager engine's numbers bit for bit (the forward calls the very same functions).
Powers that may leave the reals (a negative base to a non-integer power, where Python's
float ``**`` returns a complex number) go through ``real_pow``, which checks the domain
as ``Value.__pow__`` does; the other domain errors come from the ``math`` functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .. import rules as r
from ..rules import Rule

__all__ = [
    "FAST_FLOAT_TEMPLATES",
    "FLOAT_TEMPLATES",
    "Program",
    "Template",
    "compile_program",
    "float_namespace",
    "generate",
    "real_pow",
]


class Template(NamedTuple):
    """How one rule is written as source.

    ``forward`` is an expression in the parents ``{0}``, ``{1}``; ``local`` holds one
    expression per parent for d(out)/d(parent), which may also use the output ``{o}``.
    """

    forward: str
    local: tuple[str, ...]
    # Optional: the whole term g * local per parent, with the gradient as {g}, where a
    # branch is cheaper than a multiplication (relu passes g on unchanged when x > 0).
    terms: tuple[str, ...] | None = None


class Program(NamedTuple):
    """What the generator needs to know about a tape (slots are numbered in this order).

    Slots ``0 .. n_inputs-1`` are the inputs, then ``n_params`` parameters, then the
    constants, then one slot per op in ``ops`` (rule, parent slots), parents first.
    """

    n_inputs: int
    n_params: int
    constants: tuple[float, ...]
    ops: tuple[tuple[Rule, tuple[int, ...]], ...]
    outputs: tuple[int, ...]


FLOAT_TEMPLATES: dict[Rule, Template] = {
    r.ADD: Template("{0} + {1}", ("1.0", "1.0")),
    r.SUB: Template("{0} - {1}", ("1.0", "-1.0")),
    r.MUL: Template("{0} * {1}", ("{1}", "{0}")),
    r.DIV: Template("{0} / {1}", ("1.0 / {1}", "-{o} / {1}")),
    r.NEG: Template("-{0}", ("-1.0",)),
    r.EXP: Template("f_exp({0})", ("{o}",)),
    r.LOG: Template("f_log({0})", ("1.0 / {0}",)),
    r.SQRT: Template("f_sqrt({0})", ("0.5 * pow_({o}, -1)",)),
    r.TANH: Template("f_tanh({0})", ("1.0 - {o} * {o}",)),
    r.SIGMOID: Template("f_sigmoid({0})", ("{o} * (1.0 - {o})",)),
    r.RELU: Template(
        "0.0 if {0} <= 0.0 else {0}",
        ("1.0 if {0} > 0.0 else 0.0",),
        ("{g} if {0} > 0.0 else 0.0",),  # 1.0 * g is g; the inactive side passes 0
    ),
    r.SOFTPLUS: Template("f_softplus({0})", ("f_sigmoid({0})",)),
    r.SIN: Template("f_sin({0})", ("f_cos({0})",)),
    r.COS: Template("f_cos({0})", ("-f_sin({0})",)),
    r.ABS: Template("abs({0})", ("1.0 if {0} > 0.0 else (-1.0 if {0} < 0.0 else 0.0)",)),
}


# The fast variant: where a rule's forward is a Python wrapper that turns an exception into
# IEEE's inf or nan, call the raising C function inline instead. A replay that raises is
# run again with the exact variant above (see Tape), so results never change, only speed.
FAST_FLOAT_TEMPLATES: dict[Rule, Template] = {
    r.EXP: Template("exp({0})", ("{o}",)),
    r.SQRT: Template("f_sqrt({0})", ("0.5 * {o} ** -1",)),
    r.SIN: Template("sin({0})", ("cos({0})",)),
    r.COS: Template("cos({0})", ("-sin({0})",)),
}


def real_pow(x: float, k: float) -> float:
    """``x ** k`` as the eager engine computes it, raising where ``Value.__pow__`` does.

    Python's float ``**`` gives a complex number for a negative base and a non-integer
    power (``(-4.0) ** 0.5``); the templates of powers that may do so call this instead.
    The domain check is the engine's own (so is the message), then the rule's forward.

    Raises:
        ValueError: for a negative base and a finite non-integer power.
        ZeroDivisionError: for 0 to a negative power.

    Example:
        >>> real_pow(4.0, 0.5)
        2.0
        >>> real_pow(-4.0, 0.5)
        Traceback (most recent call last):
        ...
        ValueError: **: a negative base -4.0 to the non-integer power 0.5 is not a real number; ...
    """
    if x <= 0.0:  # only on this side of zero: the common case pays one test
        check = r.POW.violated(x, k)
        if check is not None:
            raise r.POW.domain_error(check, repr(x), repr(k))
    return r.pow_(x, k)


def float_namespace() -> dict[str, Any]:
    """The names float templates use: the rules' own forward functions (so the forward
    pass is the eager engine's, bit for bit) and the engine's IEEE-style ``pow_``.

    Example:
        >>> float_namespace()["f_exp"](1000.0)  # the engine's exp: inf, not OverflowError
        inf
    """
    return {
        "f_exp": r.EXP.forward,
        "f_log": r.LOG.forward,
        "f_sqrt": r.SQRT.forward,
        "f_tanh": r.TANH.forward,
        "f_sigmoid": r.SIGMOID.forward,
        "f_softplus": r.SOFTPLUS.forward,
        "f_sin": r.SIN.forward,
        "f_cos": r.COS.forward,
        "f_pow": r.POW.forward,
        "real_pow": real_pow,
        "pow_": r.pow_,
        "exp": math.exp,
        "fsum": math.fsum,
        "sin": math.sin,
        "cos": math.cos,
        "inf": r.inf,
        "nan": r.nan,
    }


def literal(x: float) -> str:
    """Source text for the float ``x`` that evaluates to exactly ``x`` (inf and nan by name).

    Example:
        >>> literal(0.1), literal(-2.0), literal(float("inf"))
        ('0.1', '(-2.0)', 'inf')
    """
    text = repr(float(x))
    # Parentheses keep a negative constant whole inside any template: -2.0 ** 2 is -4.0.
    return f"({text})" if text.startswith("-") else text


def constant_exponent(rule: Rule) -> float | None:
    """The ``k`` of a rule made by ``rules.power(k)``, or None for any other rule.

    The rule is probed (d/dx x**k at x = 1 is exactly k) and then confirmed by identity
    with the engine's cached rule, so a look-alike custom rule is never mistaken for it.

    Example:
        >>> constant_exponent(r.power(3.0)), constant_exponent(r.EXP)
        (3.0, None)
    """
    k = rule.param
    if k is None or not rule.name.startswith("**"):
        return None
    return k if r.power(k) == rule else None


def leaky_slope(rule: Rule) -> float | None:
    """The slope of a rule made by ``rules.leaky_relu(slope)``, or None (probed, then
    confirmed by identity like ``constant_exponent``).

    Example:
        >>> leaky_slope(r.leaky_relu(0.1)), leaky_slope(r.RELU)
        (0.1, None)
    """
    slope = rule.param
    if slope is None or rule.name != "leaky_relu":
        return None
    return slope if r.leaky_relu(slope) == rule else None


def float_template(rule: Rule, fast: bool = False, arity: int = 1) -> Template | None:
    """The float template for ``rule`` with ``arity`` parents (None: call its functions),
    exact or ``fast``.

    Example:
        >>> float_template(r.MUL)
        Template(forward='{0} * {1}', local=('{1}', '{0}'), terms=None)
        >>> float_template(r.power(2.0)).forward
        '{0} * {0}'
    """
    found = (fast and FAST_FLOAT_TEMPLATES.get(rule)) or FLOAT_TEMPLATES.get(rule)
    if found is not None:
        return found
    if rule is r.TOTAL:
        # fsum over the same floats in the same order: the eager result, bit for bit.
        terms = "".join(f"{{{i}}}, " for i in range(arity))
        return Template(f"fsum(({terms}))", ("1.0",) * arity)
    if rule is r.DOT:
        n = arity // 2
        products = "".join(f"{{{i}}} * {{{i + n}}}, " for i in range(n))
        local = tuple(f"{{{i + n}}}" for i in range(n)) + tuple(f"{{{i}}}" for i in range(n))
        return Template(f"fsum(({products}))", local)
    k = constant_exponent(rule)
    if k is not None:
        K, K1 = literal(k), literal(k - 1)
        if k == 0:
            return Template("1.0", ("0.0",))
        if k == 2:
            return Template("{0} * {0}", ("2.0 * {0}",))  # the engine's rule for squares
        if math.isfinite(k) and not k.is_integer():
            # Python's float ** gives a complex number for a negative base here: check.
            forward = f"real_pow({{0}}, {K})"
        else:
            forward = f"{{0}} ** {K}" if fast else f"f_pow({{0}}, {K})"
        local = f"{K} * {{0}} ** {K1}" if fast else f"{K} * pow_({{0}}, {K1})"
        return Template(forward, (local,))
    s = leaky_slope(rule)
    if s is not None:
        S = literal(s)
        return Template(
            f"{{0}} if {{0}} > 0.0 else {S} * {{0}}",
            (f"1.0 if {{0}} > 0.0 else {S}",),
            (f"{{g}} if {{0}} > 0.0 else {S} * {{g}}",),
        )
    return None


def generate(program: Program, with_grad: bool, fast: bool, name: str) -> tuple[str, dict]:
    """Source of ``name(*inputs, P)``: the outputs, and with ``with_grad`` the gradients.

    ``P`` is the tuple of parameter values. The function returns the tuple of outputs, or
    ``(outputs, gradients)``: those of the first output with respect to the inputs, then
    the parameters. ``fast`` picks the templates that may raise (see Tape).

    Returns:
        ``(source, names)``: the text to compile and the rule functions it calls for
        rules without a template, bound as ``F<i>`` and ``D<i>``.

    Example:
        >>> program = Program(1, 0, (3.0,), ((r.MUL, (0, 1)),), (2,))  # x * 3.0
        >>> print(generate(program, True, True, "f")[0], end="")
        def f(v0, P):
            v2 = v0 * 3.0
            g2 = 1.0
            g0 = g2 * (3.0)
            return (v2, ), (g0, )
    """
    n_in, n_par = program.n_inputs, program.n_params
    first_const = n_in + n_par
    first_op = first_const + len(program.constants)

    def ref(slot: int) -> str:
        if first_const <= slot < first_op:
            return literal(program.constants[slot - first_const])
        return f"v{slot}"

    names: dict[str, Any] = {}
    lines = [f"def {name}({''.join(f'v{i}, ' for i in range(n_in))}P):"]
    if n_par:
        lines.append(f"    {''.join(f'v{n_in + j}, ' for j in range(n_par))}= P")
    templates: list[Template | None] = []
    for i, (rule, parents) in enumerate(program.ops):
        args = [ref(p) for p in parents]
        t = float_template(rule, fast, len(parents))
        templates.append(t)
        if t is None:
            names[f"F{i}"] = rule.forward
            names[f"D{i}"] = rule.derivative
            expr = f"F{i}({', '.join(args)})"
        else:
            expr = t.forward.format(*args)
        lines.append(f"    v{first_op + i} = {expr}")

    outs = [ref(s) for s in program.outputs]
    if not with_grad:
        lines.append(f"    return ({''.join(o + ', ' for o in outs)})")
        return "\n".join(lines) + "\n", names

    root = program.outputs[0]
    done: set[int] = set()  # slots whose gradient variable exists
    if not first_const <= root < first_op:
        lines.append(f"    g{root} = 1.0")
        done.add(root)
    for i in range(len(program.ops) - 1, -1, -1):
        slot = first_op + i
        if slot not in done:
            continue  # the first output does not depend on it (it feeds another output)
        rule, parents = program.ops[i]
        t = templates[i]
        args = [ref(p) for p in parents]
        if t is None:
            lines.append(f"    l{slot} = D{i}({', '.join([f'v{slot}', *args])})")
        for k, p in enumerate(parents):
            if first_const <= p < first_op:
                continue  # constants need no gradient
            op = "+=" if p in done else "="
            done.add(p)
            if t is None:
                lines.append(f"    g{p} {op} g{slot} * l{slot}[{k}]")
            elif t.terms is not None:
                lines.append(f"    g{p} {op} {t.terms[k].format(*args, g=f'g{slot}')}")
            else:
                lines.append(
                    f"    {_add(f'g{p}', op, f'g{slot}', t.local[k].format(*args, o=f'v{slot}'))}"
                )
    grads = [f"g{s}" if s in done else "0.0" for s in range(first_const)]
    lines.append(
        f"    return ({''.join(o + ', ' for o in outs)}), ({''.join(g + ', ' for g in grads)})"
    )
    return "\n".join(lines) + "\n", names


def _add(target: str, op: str, g: str, local: str) -> str:
    """``target op g * local``: the eager engine's ``parent.grad += local * g``, with the
    two free cases (local is 1 or -1) written without a multiplication (exact: 1.0 * g
    is g, and x + -1.0 * g is x - g)."""
    if local == "1.0":
        return f"{target} {op} {g}"
    if local == "-1.0":
        return f"{target} -= {g}" if op == "+=" else f"{target} = -{g}"
    return f"{target} {op} {g} * ({local})"


def compile_program(source: str, namespace: Mapping[str, Any], name: str) -> Callable:
    """Compile generated ``source`` (ours, never user text) and return the function ``name``.

    Example:
        >>> program = Program(1, 0, (3.0,), ((r.MUL, (0, 1)),), (2,))
        >>> f = compile_program(generate(program, True, True, "f")[0], {}, "f")
        >>> f(2.0, ())
        ((6.0,), (3.0,))
    """
    scope = dict(namespace)
    code = compile(source, f"<chainrule tape {name}>", "exec")
    exec(code, scope)  # source generated from our own template table only, never user text
    return scope[name]
