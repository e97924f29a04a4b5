"""The fast load of documents (schemas/fast_load.py) answers only what marshmallow answers.

The property: for any document, valid or not, the fast load either doubts (None) or
gives exactly ``schema.load``'s result; so a document it accepts is one marshmallow
accepts. The documents are drawn from the schemas themselves: each field gets values
near what its validators allow (choices, bounds, lengths, patterns) mixed with any JSON,
fields go missing, unknown ones appear. A second test checks the fast path is the one
taken for the demo data: a fast load that always doubted would pass the first test.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from schemas.documents import DOCUMENT_SCHEMAS
from schemas.fast_load import compile_load, schema_supported
from schemas.fields import StrictBoolean, StrictFloat
from seed.cli import seed_command
from tests.support.apps import make_app

SCHEMAS = {kind: cls() for kind, cls in DOCUMENT_SCHEMAS.items()}
FAST = {kind: compile_load(schema) for kind, schema in SCHEMAS.items()}
# Left whole to marshmallow, on purpose: its schema has a field-level @validates.
NOT_COMPILED = {"material_movement"}

ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _valid(field: fields.Field, depth: int) -> st.SearchStrategy:
    """Values the field's kind and validators take (its schema's own checks may still
    refuse the document)."""
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return st.sampled_from(list(validator.choices))
        if isinstance(validator, validate.Range):
            low, high = validator.min, validator.max
            if isinstance(field, fields.Integer):
                return st.integers(low, high)
            return st.floats(low, high) | st.integers(int(low or 0), int(low or 0) + 100)
        if isinstance(validator, validate.Regexp):
            return st.from_regex(validator.regex, fullmatch=True)
    if "example" in field.metadata:
        return st.just(field.metadata["example"])
    low, high = _sizes(field)
    if isinstance(field, fields.Nested):
        return documents(field.schema, depth + 1) if depth < 3 else st.just({})
    if isinstance(field, fields.List):
        return st.lists(values(field.inner, depth + 1), min_size=low, max_size=high)
    if isinstance(field, fields.String):
        return st.text(min_size=max(low, 1), max_size=high)
    if isinstance(field, fields.Integer):
        return st.integers(0, 1000)
    if isinstance(field, fields.Float):
        return st.floats(0, 1000) | st.integers(0, 1000)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.text(max_size=4), ANY_JSON, max_size=2)
    return st.text(max_size=8)


def _broken(field: fields.Field) -> st.SearchStrategy:
    """Values at and past the edges of what the field takes, and any JSON."""
    edges: list = [None, True, 0, -1, 2.5, float("inf"), 10**400, "", "2", [], {}]
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            edges += [
                b + d for b in (validator.min, validator.max) if b is not None for d in (-1, 1)
            ]
        if isinstance(validator, validate.Length):
            edges += ["x" * n for n in (validator.min, validator.max) if n is not None]
            edges += ["x" * (validator.max + 1)] if validator.max is not None else []
            edges += [["x"] * (validator.max + 1)] if validator.max is not None else []
    return st.sampled_from(edges) | st.sampled_from(edges) | ANY_JSON


def _sizes(field: fields.Field) -> tuple[int, int]:
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            low = validator.min or 0
            high = validator.max if validator.max is not None else low + 3
            return low, min(high, low + 3)
    return 0, 3


def values(field: fields.Field, depth: int) -> st.SearchStrategy:
    """Values the field takes, now and then (inside lists) a broken one."""
    return st.integers(0, 9).flatmap(lambda n: _broken(field) if n == 0 else _valid(field, depth))


def _spoilt(doc: dict, how: tuple | None) -> dict:
    if how is None:
        return doc
    verb, name, value = how
    doc = dict(doc)
    if verb == "drop":
        doc.pop(name, None)
    else:
        doc[name] = value
    return doc


def documents(schema: Schema, depth: int = 0) -> st.SearchStrategy:
    """A document the schema's fields take, spoilt in one place about half the time (a
    field broken, a required one dropped, an unknown one added): so most failures come
    one at a time, where a fast path that takes too much is seen."""
    loaded = schema.load_fields
    required = {name: _valid(f, depth) for name, f in loaded.items() if f.required}
    optional = {name: _valid(f, depth) for name, f in loaded.items() if not f.required}
    names = sorted(loaded)
    spoil = st.one_of(
        st.sampled_from(names).flatmap(
            lambda name: _broken(loaded[name]).map(lambda value: ("set", name, value))
        ),
        st.sampled_from(sorted(required) or names).map(lambda name: ("drop", name, None)),
        st.tuples(st.just("set"), st.sampled_from(["extra", "note"]), ANY_JSON),
    )
    # Nested documents are spoilt less often, or few whole documents would be valid.
    how = st.integers(0, 1 + 2 * depth).flatmap(lambda n: spoil if n == 0 else st.none())
    return st.builds(_spoilt, st.fixed_dictionaries(required, optional=optional), how)


def marshmallow_says(schema: Schema, doc: dict):
    try:
        return schema.load(doc)
    except ValidationError:
        return "refused"


# Examples per document type follow the profile: 100 in `make test`, 1,000 in `make fuzz`.
@pytest.mark.parametrize("kind", sorted(SCHEMAS))
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_load_answers_only_what_marshmallow_answers(kind, data):
    doc = data.draw(documents(SCHEMAS[kind]), label=kind)
    fast = FAST[kind](doc)
    event("fast path" if fast is not None else "doubt")
    if fast is not None:
        assert fast == marshmallow_says(SCHEMAS[kind], doc)


def test_compiled_schemas_are_all_but_the_ones_left_to_marshmallow():
    left = {kind for kind, schema in SCHEMAS.items() if not schema_supported(schema)}
    assert left == NOT_COMPILED


@pytest.fixture(scope="module")
def seeded_documents(tmp_path_factory):
    """Every document of the demo data, as a phone would push it."""
    app = make_app(tmp_path_factory.mktemp("seeded"))
    result = app.test_cli_runner().invoke(seed_command)
    assert result.exit_code == 0, result.output
    db = app.extensions["hirfa"].open_db()
    try:
        rows = db.execute(
            "SELECT r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE d.deleted = 0"
        ).fetchall()
    finally:
        db.close()
    docs = [json.loads(body) for (body,) in rows]
    return [{k: v for k, v in doc.items() if not k.startswith("_")} for doc in docs]


def test_the_demo_documents_take_the_fast_path_with_marshmallows_result(seeded_documents):
    kinds = set()
    for doc in seeded_documents:
        kind = doc.get("type")
        if kind not in SCHEMAS or kind in NOT_COMPILED:
            continue
        kinds.add(kind)
        assert FAST[kind](doc) == SCHEMAS[kind].load(doc), doc
    # The demo data has listings, orders, the directory, training and bulk orders.
    assert {"product", "order", "cooperative", "artisan", "course", "bulk_order"} <= kinds


class _Inner(Schema):
    word = fields.String(required=True, validate=validate.Length(max=3))


class _EveryKind(Schema):
    """One field of each kind the compiler takes, and one it hands to marshmallow."""

    text = fields.String()
    count = fields.Integer(strict=True, validate=validate.Range(min=0, max=10))
    loose_count = fields.Integer()
    number = StrictFloat(validate=validate.Range(min=0))
    plain_number = fields.Float()
    flag = StrictBoolean()
    inner = fields.Nested(_Inner)
    words = fields.List(fields.String(), validate=validate.Length(max=2))
    extra = fields.Dict()
    link = fields.Url()
    maybe = fields.Integer(strict=True, allow_none=True)
    defaulted = fields.List(fields.String(), load_default=list)


EDGE_VALUES = [
    None, True, False, 0, 1, -1, 11, 2.5, 2.0, float("inf"), float("-inf"), float("nan"),
    10**400, "", "2", "2.5", "true", "abc", "abcd", "http://example.org", [], ["a"],
    ["a", "b", "c"], [1], {}, {"word": "ab"}, {"word": "abcd"}, {"word": 1}, {"x": 1},
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(_EveryKind().load_fields))
def test_every_field_kind_on_values_at_its_edges(name):
    schema = _EveryKind()
    fast = compile_load(schema)
    for value in EDGE_VALUES:
        doc = {name: value}
        answer = fast(doc)
        if answer is not None:
            assert answer == marshmallow_says(schema, doc), (name, value)
    assert fast({}) == schema.load({}) == {"defaulted": []}
