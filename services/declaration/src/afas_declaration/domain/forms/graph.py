"""Checks on the dependencies between computed fields: every reference resolves, and no total depends on itself."""

from __future__ import annotations

from afas_declaration.domain.forms.model import DefinitionError, FieldDefinition, FormDefinition


def check_references(form: FormDefinition) -> None:
    """Refuse computed expressions naming unknown or non-numeric fields, or fields missing for some of its natures."""
    fields = form.fields
    for field in fields.values():
        expression = field.expression
        if expression is None:
            continue
        where = f"fields[{field.id}].computed"
        for name in sorted(expression.names):
            if name == field.id:
                raise DefinitionError(f"{where}: {field.id!r} refers to itself")
            if name not in fields:
                raise DefinitionError(f"{where}: unknown field {name!r} in {expression.source!r}")
            _check_operand(field, fields[name], where)
        for prefix, members in sorted(expression.expansions.items()):
            if not members:
                raise DefinitionError(f'{where}: sum("{prefix}*") matches no field of the form')
            for member in members:
                _check_operand(field, fields[member], where, by_name=False)


def _check_operand(field: FieldDefinition, operand: FieldDefinition, where: str, by_name: bool = True) -> None:
    if not operand.is_numeric:
        raise DefinitionError(f"{where}: field {operand.id!r} is {operand.type}, not a number")
    # A named operand must exist wherever the total is shown, or the total silently means something else;
    # a sum over a prefix, by design, adds whatever fields the nature has.
    if not by_name or operand.natures is None:
        return
    if field.natures is None:
        scope = "every nature"
    else:
        uncovered = [n for n in field.natures if n not in operand.natures]
        if not uncovered:
            return
        scope = f"nature(s) {uncovered}"
    raise DefinitionError(
        f"{where}: {field.id!r} applies to {scope} but {operand.id!r} only to {list(operand.natures)}"
    )


def computed_order(form: FormDefinition) -> tuple[str, ...]:
    """Computed field ids in an order where each comes after the computed fields it uses; refuse cycles."""
    fields = form.fields
    computed = {f.id: f for f in fields.values() if f.expression is not None}
    order: list[str] = []
    state: dict[str, str] = {}  # "visiting" while on the current path, "done" once placed

    def visit(field_id: str, path: list[str]) -> None:
        if state.get(field_id) == "done":
            return
        if state.get(field_id) == "visiting":
            cycle = path[path.index(field_id) :] + [field_id]
            raise DefinitionError(f"computed fields form a cycle: {' -> '.join(cycle)}")
        state[field_id] = "visiting"
        expression = computed[field_id].expression
        assert expression is not None
        for dependency in sorted(expression.dependencies):
            if dependency in computed:
                visit(dependency, [*path, field_id])
        state[field_id] = "done"
        order.append(field_id)

    for field_id in computed:
        visit(field_id, [])
    return tuple(order)
