"""Turning a tape into Python source: one statement per node, then the reverse sweep.

Every statement is derived from the op's ``Rule`` (``autograd/rules.py``), the one place
that knows the op:

* a forward the rule writes as a formula (``Rule.inline``: ``x + y``, relu's
  ``0.0 if x <= 0 else x``, ``x * x``) is written inline; every other rule's ``forward``
  is called through a name we bind (``F0``, ``F1``...), so the forward pass runs the
  eager engine's very functions;
* each local derivative is the rule's formula (``Rule.texts()``) with the operands
  replaced on the syntax tree by the slots' variables, and the incoming gradient
  multiplied in (distributed over the formula's conditionals, so that a local derivative
  of 1 or -1 costs no multiplication, and a ``masks`` rule's zero side is exactly 0.0);
  the functions a formula calls are looked up in ``float_namespace()``, made from the
  table (each rule's float forward, and the helpers' float versions);
* a rule with a ``domain`` gets its test (the formula that is true outside the domain)
  written before the forward, raising the rule's own error there;
* in a big program, a ``dot`` over a long run of parameters (an ``nn.MLP`` neuron) reads
  them as a slice of the parameter tuple and writes their gradients into a slice of a
  list (``autograd.tape.runs`` says when, and why: CPython's compiler takes about 10 us
  per name in the source); in a program of any size, a sum of squares of a run of
  parameters (an L2 term) is a loop over their slice, which replays faster.

The source is built from those formulas, from names we make and from numbers we print
with ``repr``; labels and rule names never reach ``compile``, and a formula may only use
the operands, the output, the table's rules and the helpers (anything else is refused).
A rule without formulas (a user's custom ``primitive``) is called through its
``forward`` and ``derivative`` functions, bound as names.

The reverse sweep visits nodes and parents in the eager engine's order, and each
derivative is the rule's own formula evaluated with the same functions, so float replay
gives the eager engine's numbers bit for bit.
"""

from __future__ import annotations

import ast
import functools
import itertools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .. import formula
from .. import rules as r
from .._numbers import is_number
from ..floats import FLOAT_HELPERS, float_functions
from ..rules import Rule
from .runs import MIN_OPERANDS, MIN_RUN, Run, find_runs

__all__ = [
    "FLOAT_HELPERS",
    "Program",
    "Template",
    "compile_program",
    "float_namespace",
    "float_template",
    "generate",
    "literal",
]


class Template(NamedTuple):
    """How one rule is written as source, in the parents ``{0}``, ``{1}``...

    ``forward`` is the inline expression of the output, or None to call the rule's
    ``forward`` by a bound name. ``terms`` holds, per parent, the gradient it receives,
    ``{g} * d(out)/d(parent)``, which may use the output ``{o}``. ``domain`` is an
    expression true where the op is undefined (None: defined everywhere).
    """

    forward: str | None
    terms: tuple[str, ...]
    domain: str | None = None


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


def _masked(g: float, local: float) -> float:
    """A ``masks`` rule's gradient where its local derivative is not a constant."""
    return 0.0 if local == 0 else g * local


# The names generated code makes for itself; no name of the namespace may look like one.
_OWN_NAME = re.compile(r"^([vglFDRta]\d+|P|G|p|t)$")


def float_namespace() -> dict[str, Any]:
    """The names float source uses, derived from the table: each rule by its name (its
    float ``forward``, so results are the eager engine's, bit for bit), the helpers'
    float versions, and ``fsum`` for ``sum`` and ``dot``.

    Example:
        >>> float_namespace()["exp"](1000.0)  # the engine's exp: inf, not OverflowError
        inf
    """
    names = float_functions()
    names.update(fsum=r.fsum_, _masked=_masked)
    # For dots over runs of parameters (autograd.tape.runs), written with map().
    names.update(_mul=operator.mul, _add=operator.add, _repeat=itertools.repeat)
    names.update(_reduce=functools.reduce)
    clashes = sorted(n for n in names if _OWN_NAME.match(n))
    if clashes:
        raise ValueError(f"codegen: table names {clashes} clash with generated variables")
    return names


def literal(x: float) -> str:
    """Source text for the float ``x`` that evaluates to exactly ``x`` (inf and nan by name).

    Example:
        >>> literal(0.1), literal(-2.0), literal(float("inf"))
        ('0.1', '(-2.0)', 'inf')
    """
    text = repr(float(x))
    # Parentheses keep a negative constant whole inside any template: -2.0 ** 2 is -4.0.
    return f"({text})" if text.startswith("-") else text


# --- deriving a rule's template ------------------------------------------------------------

class _Slots(ast.NodeTransformer):
    """Operands and output -> format fields (``{0}``, ``{o}``); any other name must be
    in the float namespace. (A Rule checked its formulas' shape when it was made:
    ``formula.check``.)"""

    def __init__(self, rule: Rule, known: Mapping[str, Any]) -> None:
        self.rule = rule
        self.known = known
        self.fields = {name: f"{{{i}}}" for i, name in enumerate(rule.operands)}
        self.fields["out"] = "{o}"

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.fields:
            return ast.Name(self.fields[node.id], ast.Load())
        if node.id not in self.known:
            raise ValueError(
                f"codegen: rule {self.rule.name!r}: its formula calls {node.id!r}, which is "
                "neither a rule of the table nor a helper (formula.HELPERS)"
            )
        return node


def _constant(node: ast.expr) -> float | None:
    """The number a formula node is, if it is a literal (``1.0``, ``-1.0``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)  # _Slots has refused bool and any other constant
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    return None


def _term(local: ast.expr, masks: bool) -> ast.expr:
    """``g * local`` with ``g`` distributed over the conditionals of ``local``.

    Exact: ``g * (a if c else b)`` is ``g * a if c else g * b``, and ``g * 1.0`` is
    ``g``. A constant 0 stays a multiplication (0 * inf is nan, as in the eager engine)
    except for a ``masks`` rule, whose zero side passes exactly 0.0 back.
    """
    g = ast.Name("{g}", ast.Load())
    if isinstance(local, ast.IfExp):
        return ast.IfExp(local.test, _term(local.body, masks), _term(local.orelse, masks))
    value = _constant(local)
    if value == 1.0:
        return g
    if value == -1.0:
        return ast.UnaryOp(ast.USub(), g)
    if masks and value == 0.0:
        return ast.Constant(0.0)
    if masks and value is None:
        return ast.Call(ast.Name("_masked", ast.Load()), [g, local], [])
    return ast.BinOp(g, ast.Mult(), local)


def _source(rule: Rule, text: str, known: Mapping[str, Any]) -> ast.expr:
    tree = _Slots(rule, known).visit(ast.Expression(formula.parse(text)))
    body: ast.expr = tree.body
    return body


def _domain_test(rule: Rule, known: Mapping[str, Any]) -> str | None:
    """The rule's domain tests joined by ``or``, with its parameter written in."""
    if not rule.domain:
        return None
    tests = []
    for check in rule.domain:
        tests.append(_source(rule, rule.exact(check.bad), known))
    joined = tests[0] if len(tests) == 1 else ast.BoolOp(ast.Or(), tests)
    return ast.unparse(ast.fix_missing_locations(joined))


def _derived(rule: Rule, known: Mapping[str, Any]) -> Template:
    """The template made from a rule's formulas."""
    forward = None
    if rule.inline is not None:
        tree = _source(rule, rule.exact(rule.inline), known)
        forward = ast.unparse(ast.fix_missing_locations(tree))
    terms = tuple(
        ast.unparse(ast.fix_missing_locations(_term(_source(rule, t, known), rule.masks)))
        for t in rule.texts()
    )
    return Template(forward, terms, _domain_test(rule, known))


def float_template(rule: Rule, arity: int = 1) -> Template | None:
    """The float template for ``rule`` with ``arity`` parents (None: a rule without
    formulas, replayed by calling its functions).

    Example:
        >>> float_template(r.MUL)
        Template(forward='{0} * {1}', terms=('{g} * {1}', '{g} * {0}'), domain=None)
        >>> float_template(r.RELU).terms
        ('{g} if {0} > 0 else 0.0',)
        >>> float_template(r.LOG).domain
        '{0} <= 0'
    """
    return _template(rule, arity, float_namespace())


def _template(rule: Rule, arity: int, known: Mapping[str, Any]) -> Template | None:
    if rule == r.TOTAL:
        # fsum over the same floats in the same order: the eager result, bit for bit.
        terms = "".join(f"{{{i}}}, " for i in range(arity))
        return Template(f"fsum(({terms}))", ("{g}",) * arity)
    if rule == r.DOT:
        n = arity // 2
        products = "".join(f"{{{i}}} * {{{i + n}}}, " for i in range(n))
        local = [f"{{g}} * {{{i + n}}}" for i in range(n)] + [f"{{g}} * {{{i}}}" for i in range(n)]
        return Template(f"fsum(({products}))", tuple(local))
    if rule.local is None:
        return None
    return _derived(rule, known)


class _PrimitiveForward:
    """A user's primitive's forward at replay, checked as the eager engine checks it: a
    forward that returns something other than a real number (a complex, a str) raises,
    and the tape then runs ``f`` eagerly for the engine's own message."""

    __slots__ = ("rule",)

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def __call__(self, *xs: float) -> float:
        out = self.rule.forward(*xs)
        if type(out) is float:
            return out
        if not is_number(out):
            raise TypeError(f"{self.rule.name}: forward must return a number, got {out!r}")
        return float(out)


# --- generating a program ------------------------------------------------------------------


class _Writer:
    """The state of one generated function: its lines, bound names and templates.

    Dots over long runs of parameters (``runs``) read their parameters as a slice of
    ``P`` and write their gradients into a slice of the list ``G``; the gradients of
    their other operands are summed in a list (an accumulator ``a<i>``, one per operand
    tuple ``t<i>``) and unpacked into the ``g`` variables where another statement needs
    them (``settle``).
    """

    def __init__(
        self, program: Program, min_run: int = MIN_RUN, min_operands: int = MIN_OPERANDS
    ) -> None:
        self.program = program
        self.first_const = program.n_inputs + program.n_params
        self.first_op = self.first_const + len(program.constants)
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self.known = float_namespace()
        self.templates: list[Template | None] = []
        self._bound: dict[tuple[str, Any], str] = {}  # (kind, rule) -> name
        self.runs = find_runs(program, min_run, min_operands)
        n_in = program.n_inputs
        self.sliced = {n_in + j for run in self.runs.values() for j in range(run.start, run.stop)}
        self.interior = {op for run in self.runs.values() for op in run.interior}
        self.tuples: dict[tuple[int, ...], str] = {}  # operand slots -> tuple variable
        self.done: set[int] = set()  # slots whose gradient variable exists
        self.sums: dict[tuple[int, ...], str] = {}  # operand slots -> open accumulator
        self.summed_in: dict[int, tuple[int, ...]] = {}  # slot -> its open accumulator
        self._n_sums = 0

    def ref(self, slot: int) -> str:
        if self.is_constant(slot):
            return literal(self.program.constants[slot - self.first_const])
        if slot in self.sliced:
            return f"P[{slot - self.program.n_inputs}]"
        return f"v{slot}"

    def is_constant(self, slot: int) -> bool:
        return self.first_const <= slot < self.first_op

    def bind(self, kind: str, rule: Rule) -> str:
        """The name (``F0``, ``D1``, ``R2``) of one of a rule's functions, bound once per
        rule: its forward (F), derivative (D) or domain error (R)."""
        key = (kind, rule)
        name = self._bound.get(key)
        if name is None:
            name = self._bound[key] = f"{kind}{len(self._bound)}"
            forward = rule.forward if rule.local is not None else _PrimitiveForward(rule)
            fns = {"F": forward, "D": rule.derivative}
            self.names[name] = fns[kind] if kind in fns else _DomainRaiser(rule)
        return name

    def forward(self) -> None:
        cache: dict[tuple[Rule, int], Template | None] = {}
        for i, (rule, parents) in enumerate(self.program.ops):
            run = self.runs.get(i)
            if run is not None or i in self.interior:
                self.templates.append(None)  # its reverse step is run_backward's
            if i in self.interior:
                continue  # a chain's inner op: the chain's end computes it
            if run is not None:
                self.run_forward(self.first_op + i, run)
                continue
            args = [self.ref(p) for p in parents]
            key = (rule, len(parents))
            t = cache[key] if key in cache else _template(rule, len(parents), self.known)
            cache[key] = t
            self.templates.append(t)
            if t is not None and t.domain is not None:
                raiser = self.bind("R", rule)
                test = t.domain.format(*args)
                self.lines.append(f"    if {test}: {raiser}({', '.join(args)})")
            if t is not None and t.forward is not None:
                expr = t.forward.format(*args)
            else:
                expr = f"{self.bind('F', rule)}({', '.join(args)})"
            self.lines.append(f"    v{self.first_op + i} = {expr}")

    def run_forward(self, slot: int, run: Run) -> None:
        """A dot: ``fsum`` of the products, as the rule's forward. A chain: the sum from
        its first addend, left to right, as the chain of ``+`` ops adds (a chain of
        squares as a loop: faster than ``map``, and the same additions in order)."""
        v, params = f"v{slot}", f"P[{run.start}:{run.stop}]"
        if run.base is None:
            products = f"map(_mul, {params}, {params})" if run.squares else self.products(run)
            self.lines.append(f"    {v} = fsum({products})")
        elif run.squares:
            self.lines.append(f"    {v} = {self.ref(run.base)}")
            self.lines += [f"    for p in {params}:", f"        {v} += p * p"]
        else:
            base = self.ref(run.base)
            self.lines.append(f"    {v} = _reduce(_add, {self.products(run)}, {base})")

    def products(self, run: Run) -> str:
        """``map(_mul, ...)`` over a run's parameter slice and its other operands, in the
        dot's operand order (the rule's forward: ``fsum(map(mul, left, right))``)."""
        others = self.tuples.get(run.others)
        if others is None:
            others = self.tuples[run.others] = f"t{len(self.tuples)}"
            self.lines.append(f"    {others} = ({''.join(self.ref(s) + ', ' for s in run.others)})")
        params = f"P[{run.start}:{run.stop}]"
        return f"map(_mul, {params}, {others})" if run.left else f"map(_mul, {others}, {params})"

    def settle(self, slot: int) -> None:
        """Unpack the accumulator holding ``slot``'s gradient, if one does, into the
        ``g`` variables of all its slots."""
        key = self.summed_in.get(slot)
        if key is None:
            return
        targets = "".join(f"g{s}, " for s in key)
        self.lines.append(f"    {targets}= {self.sums.pop(key)}")
        for s in key:
            del self.summed_in[s]
        self.done.update(key)

    def run_backward(self, slot: int, run: Run) -> None:
        """The reverse step of a dot over a run of parameters: the parameters' gradients
        (each read by this op only) into ``G``, the other operands' into an accumulator.
        (The two sides share no slot, so which is written first changes no sum.)"""
        g, key = f"g{slot}", run.others
        if run.squares:
            # Each parameter's two edges, g * p then + g * p, as the sweep adds them
            # (the product made once: 10% faster).
            terms = f"[(t := {g} * p) + t for p in P[{run.start}:{run.stop}]]"
            self.lines.append(f"    G[{run.start}:{run.stop}] = {terms}")
            if run.base is not None:
                self.add_edge(run.base, g, g)
            return
        times_g = f"map(_mul, _repeat({g}), {{}})"
        self.lines.append(f"    G[{run.start}:{run.stop}] = {times_g.format(self.tuples[key])}")
        scaled = times_g.format(f"P[{run.start}:{run.stop}]")
        if key in self.sums:
            total = self.sums[key]
            self.lines.append(f"    {total} = list(map(_add, {total}, {scaled}))")
        elif len(set(key)) == len(key) and not any(
            self.is_constant(s) or s in self.done or s in self.summed_in for s in key
        ):
            total = self.sums[key] = f"a{self._n_sums}"
            self._n_sums += 1
            self.summed_in.update((s, key) for s in key)
            self.lines.append(f"    {total} = list({scaled})")
        else:  # shared, repeated or constant operands: one statement per edge
            for k, p in enumerate(key):
                self.add_edge(p, f"{g} * P[{run.start + k}]", g)
        if run.base is not None:  # a chain's + ops pass the gradient on unchanged
            self.add_edge(run.base, g, g)

    def add_edge(self, p: int, term: str, g: str) -> None:
        """``g<p> (+)= term``: the gradient one edge sends to operand ``p``."""
        if self.is_constant(p):
            return  # constants need no gradient
        self.settle(p)
        op = "+=" if p in self.done else "="
        self.done.add(p)
        self.lines.append(f"    {_add(f'g{p}', op, term, g)}")

    def backward(self) -> set[int]:
        """The reverse sweep; returns the slots whose gradient variable exists."""
        program, first_const, first_op = self.program, self.first_const, self.first_op
        root = program.outputs[0]
        done = self.done
        if not first_const <= root < first_op:
            self.lines.append(f"    g{root} = 1.0")
            done.add(root)
        for i in range(len(program.ops) - 1, -1, -1):
            slot = first_op + i
            self.settle(slot)
            if slot not in done:
                continue  # the first output does not depend on it (it feeds another output)
            run = self.runs.get(i)
            if run is not None:
                self.run_backward(slot, run)
                continue
            rule, parents = program.ops[i]
            t = self.templates[i]
            args = [self.ref(p) for p in parents]
            if t is None:
                call = f"{self.bind('D', rule)}({', '.join([f'v{slot}', *args])})"
                self.lines.append(f"    l{slot} = {call}")
            for k, p in enumerate(parents):
                if t is None:
                    term = f"g{slot} * l{slot}[{k}]"
                else:
                    term = t.terms[k].format(*args, g=f"g{slot}", o=f"v{slot}")
                self.add_edge(p, term, f"g{slot}")
        for s in list(self.summed_in):
            self.settle(s)
        return done


class _DomainRaiser:
    """Raises a rule's own domain error for the operands (called where the test fails)."""

    __slots__ = ("rule",)

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def __call__(self, *operands: float) -> None:
        check = self.rule.violated(*operands)
        if check is not None:
            raise self.rule.domain_error(check, *map(repr, operands))


def _add(target: str, op: str, term: str, g: str) -> str:
    """``target op term``, with the one free case of a term ``-g`` written as ``-=``
    (exact: x + -g is x - g)."""
    if term == f"-{g}":
        return f"{target} -= {g}" if op == "+=" else f"{target} = -{g}"
    return f"{target} {op} {term}"


def generate(
    program: Program,
    with_grad: bool,
    name: str,
    min_run: int = MIN_RUN,
    min_operands: int = MIN_OPERANDS,
) -> tuple[str, dict[str, Any]]:
    """Source of ``name(*inputs, P)``: the outputs, and with ``with_grad`` the gradients.

    ``P`` is the tuple of parameter values. The function returns the tuple of outputs, or
    ``(outputs, gradients)``: those of the first output with respect to the inputs, then
    the parameters. In a program of at least ``min_operands`` operands, dots over at least
    ``min_run`` parameters read them as a slice of ``P`` (``autograd.tape.runs``).

    Returns:
        ``(source, names)``: the text to compile and the functions it calls by name:
        rules' forwards ``F<i>``, domain errors ``R<i>``, and for rules without
        formulas their derivatives ``D<i>``. Compile it with ``float_namespace()`` too.

    Example:
        >>> program = Program(1, 0, (3.0,), ((r.MUL, (0, 1)),), (2,))  # x * 3.0
        >>> print(generate(program, True, "f")[0], end="")
        def f(v0, P):
            v2 = v0 * 3.0
            g2 = 1.0
            g0 = g2 * 3.0
            return (v2, ), (g0, )
    """
    n_in, n_par = program.n_inputs, program.n_params
    w = _Writer(program, min_run, min_operands)
    w.lines.append(f"def {name}({''.join(f'v{i}, ' for i in range(n_in))}P):")
    if w.sliced:  # parameters read through slices of P get no variable
        w.lines += [
            f"    v{s} = P[{s - n_in}]" for s in range(n_in, w.first_const) if s not in w.sliced
        ]
    elif n_par:
        w.lines.append(f"    {''.join(f'v{n_in + j}, ' for j in range(n_par))}= P")
    w.forward()
    outs = "".join(w.ref(s) + ", " for s in program.outputs)
    if not with_grad:
        w.lines.append(f"    return ({outs})")
        return "\n".join(w.lines) + "\n", w.names
    if w.sliced:
        w.lines.append(f"    G = [0.0] * {n_par}")
    done = w.backward()
    if not w.sliced:
        grads = "".join((f"g{s}" if s in done else "0.0") + ", " for s in range(w.first_const))
    else:
        # The runs wrote their parameters' gradients into G; any other parameter that got
        # one has its variable.
        w.lines += [f"    G[{s - n_in}] = g{s}" for s in range(n_in, w.first_const) if s in done]
        grads = "".join((f"g{s}" if s in done else "0.0") + ", " for s in range(n_in)) + "*G, "
    w.lines.append(f"    return ({outs}), ({grads})")
    return "\n".join(w.lines) + "\n", w.names


def compile_program(source: str, namespace: Mapping[str, Any], name: str) -> Callable[..., Any]:
    """Compile generated ``source`` (ours, never user text) and return the function ``name``.

    Example:
        >>> program = Program(1, 0, (3.0,), ((r.MUL, (0, 1)),), (2,))
        >>> f = compile_program(generate(program, True, "f")[0], {}, "f")
        >>> f(2.0, ())
        ((6.0,), (3.0,))
    """
    scope = dict(namespace)
    code = compile(source, f"<chainrule tape {name}>", "exec")
    exec(code, scope)  # source derived from the rules' formulas only, never user text
    fn: Callable[..., Any] = scope[name]
    return fn
