"""The loader's fast path (relcalc/yaml_events.py) against yaml.safe_load and against the node path.

The references are independent of the fast path: ``yaml.safe_load`` (PyYAML's
own composer and constructor) wherever relcalc keeps YAML's meaning, and
relcalc's node path (PyYAML's node graph, then relcalc's construction) where
relcalc departs from YAML 1.1 on purpose (``010``, ``1_000``, ``1:30``). Each
comparison also checks which path answered, so a fast path that silently fell
back everywhere would fail here.
"""

from __future__ import annotations

import gc
import glob
import math
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcalc import loading
from relcalc.errors import InputError
from relcalc.loading import MAX_DEPTH, MAX_NODES, _loader_class, _load_yaml_nodes, load_document
from relcalc.yaml_events import _NUMBER_FIRST, _NUMBER_LAST, TooLarge, Unsupported, build, plain_scalar

SAMPLES = sorted(glob.glob(str(pathlib.Path(__file__).parent.parent / "samples" / "*.yaml")))


def fast(text: str):
    """The fast path's value, or Unsupported."""
    loader = _loader_class()(text)
    try:
        return build(loader, MAX_NODES, MAX_DEPTH)
    finally:
        loader.dispose()


def nodes(text: str):
    return _load_yaml_nodes(_loader_class()(text), "spec")


def same(x, y) -> bool:
    """Equal as loaded values, NaN equal to NaN, and of the same types (1 is not 1.0 or True)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return (math.isnan(x) and math.isnan(y)) or x == y
    if isinstance(x, dict):
        return list(x) == list(y) and all(same(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y))
    return x == y


# Specs in the forms people write them: block and flow style, comments, quoted and block scalars,
# anchors and aliases, document markers, a byte-order mark, Booleans, nulls and infinities.
CORPUS = [
    "components:\n  a: {mtbf: 1000h, mttr: 4h, count: 2}\nsystem: {series: [a]}\n",
    "# a comment\n---\ncomponents:\n  'quoted key': {availability: 99.9%}\n  \"b\": {mtbf: 2y, mttr: 30m}\n...\n",
    "notes: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "a: &base {mtbf: 1000h, mttr: 4h}\nb: *base\nc: [*base, *base]\nd: &n 5\ne: *n\n",
    "flags: [yes, No, TRUE, off, on, false]\nnothing: [~, null, Null, ]\nempty:\n",
    "x: [.inf, -.inf, +.inf, .NaN, 1.5e+3, -2, +3, 0.5, 1., .5, 1.0e-05]\n",
    "- [1, 2, [3, [4, {a: b}]]]\n- {}\n- []\n- ''\n",
    "key with spaces: value with spaces\n? complex key text\n: 1\n1: one\n2.5: two and a half\n",
    "plain",
    "42",
    "",
    "# only a comment\n",
    "\ufeffa: 1\n",
    "a:\n  - b:\n      - c: {d: [e, f]}\n",
]


@pytest.mark.parametrize("text", CORPUS + [pathlib.Path(p).read_text() for p in SAMPLES],
                         ids=[f"corpus{i}" for i in range(len(CORPUS))] + [pathlib.Path(p).name for p in SAMPLES])
def test_specs_load_as_safe_load_reads_them_by_the_fast_path(text):
    reference = yaml.safe_load(text)
    assert same(load_document(text, "spec"), reference)
    assert same(fast(text.removeprefix("\ufeff")), reference)  # answered by the fast path, not by falling back


@pytest.mark.parametrize(
    "text",
    [
        "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\n",  # timestamps
        "base: &b {x: 1}\nuse: {<<: *b, y: 2}\n",  # a merge key
        "a: !!str 5\nb: !!float 1\nc: ! 7\nd: !!set {x, y}\n",  # explicit tags
        "a: !!binary aGVsbG8=\n",
    ],
    ids=["timestamps", "merge", "tags", "binary"],
)
def test_what_the_fast_path_leaves_is_loaded_by_the_node_path(text):
    with pytest.raises(Unsupported):
        fast(text)
    assert same(load_document(text, "spec"), nodes(text))


def test_relcalc_numbers_by_the_fast_path():
    # YAML 1.2 and relcalc's grammar, where YAML 1.1 would read 1000, 8, 90, 31 and the text 1e3
    text = "a: 1_000\nb: 010\nc: 1:30\nd: 0x1F\ne: 1e3\nf: -.5\ng: 4h\nh: 99.9%\n"
    expected = {"a": "1_000", "b": 10, "c": "1:30", "d": "0x1F", "e": 1000.0, "f": -0.5, "g": "4h", "h": "99.9%"}
    assert same(fast(text), expected)
    assert same(nodes(text), expected)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a: 1\na: 2\n", "line 2: duplicate definition of 'a'"),
        ("? [a, b]\n: 1\n", "line 1: a key must be text or a number, not list"),
        ("a: [1, 2\n", "not valid YAML or JSON"),
        ("&a [1, *a]", "line 1: an alias refers to a node that contains it"),
        ("a: *nowhere\n", "not valid YAML or JSON"),
        ("a: 1\n---\nb: 2\n", "not valid YAML or JSON"),
        ("a: " + "9" * 5000 + "\n", "line 1: Exceeds the limit"),
        ("- " * (MAX_DEPTH + 5) + "x\n", "nesting"),  # libyaml words it where it has a bound
    ],
    ids=["duplicate", "unhashable", "syntax", "cycle", "unknown-alias", "two-documents", "huge-int", "deep"],
)
def test_errors_are_worded_by_the_node_path(text, fragment):
    with pytest.raises(Unsupported):
        fast(text)
    with pytest.raises(InputError, match="^spec: ") as caught:
        load_document(text, "spec")
    assert fragment in str(caught.value)


def test_aliases_share_one_value_and_count_at_their_expanded_size(monkeypatch):
    # a document of 1 + 3 + 3 * 100 values once expanded is loaded by the fast path alone
    text = "x: &a [" + ", ".join(["1"] * 100) + "]\ny: [*a, *a]\n"
    monkeypatch.setattr(loading, "_load_yaml_nodes", None)  # any fall-back would fail
    data = load_document(text, "spec")
    assert data == yaml.safe_load(text)
    assert data["y"][0] is data["x"] and data["y"][1] is data["x"]
    # 8 levels of 9 aliases, level i standing for s_i = 1 + 9 s_(i-1) values (s_0 = 10): s_5 = 597,871,
    # so the count (672,604 before line 7) passes 2,000,000 at line 7's third alias, where it is refused
    bomb = "- &l0 [" + ", ".join(["a"] * 9) + "]\n" + "".join(
        f"- &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    with pytest.raises(TooLarge):
        fast(bomb)
    with pytest.raises(InputError, match=f"^spec: line 7: this part stands for more than {MAX_NODES:,} values"):
        load_document(bomb, "spec")


def test_a_document_past_the_bound_is_refused_without_the_node_path(monkeypatch):
    # no aliases: 1 sequence + 1,000 scalars against a bound of 1,000, refused at the scalar that passes it
    monkeypatch.setattr(loading, "MAX_NODES", 1000)
    monkeypatch.setattr(loading, "_load_yaml_nodes", None)  # the node path would compose it all first
    text = "".join(f"- {i}\n" for i in range(1000))
    with pytest.raises(InputError, match="^spec: line 1000: this part stands for more than 1,000 values"):
        load_document(text, "spec")
    assert load_document(text[: -len("- 999\n")], "spec") == list(range(999))  # 1,000 values: within


def test_the_collector_is_left_as_it_was():
    assert gc.isenabled()
    load_document("a: [1, 2]\n", "spec")
    assert gc.isenabled()
    gc.disable()
    try:
        load_document("a: [1, 2]\n", "spec")
        assert not gc.isenabled()
    finally:
        gc.enable()


RESOLVERS = _loader_class().yaml_implicit_resolvers
KNOWN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("int", "float", "timestamp")}


def test_the_number_shortcut_matches_the_resolver_table():
    # the shortcut in plain_scalar assumes these first characters start only numbers and timestamps
    for first in _NUMBER_FIRST:
        assert {tag for tag, _ in RESOLVERS.get(first, [])} <= KNOWN_TAGS


# Plain scalars near the number grammar: the fast path's value is the one the node path's resolver
# and constructor give (relcalc's YAML 1.2 numbers, PyYAML's Booleans, nulls and timestamps).
number_like = st.text(alphabet="0123456789+-._eE:xhdZz inNaAfF~yesoYtT", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number_like)
def test_plain_scalars_resolve_as_the_node_path_resolves_them(text):
    loader = _loader_class()("")
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    try:
        value = plain_scalar(text, RESOLVERS)
    except Unsupported:
        assert tag not in {"tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"}
        return
    if tag == "tag:yaml.org,2002:str":
        assert value is text
    elif tag == "tag:yaml.org,2002:int":  # the node path reads these itself, as written (PyYAML's would read 08 as
        assert same(value, int(text)), text  # octal and fail): 010 is ten
    else:
        expected = loader.construct_object(yaml.ScalarNode(tag, text), deep=True)
        assert same(value, expected), (text, tag)


# Documents within the subset: nested mappings and sequences of text, whole numbers, floats,
# Booleans and nulls, written by yaml.safe_dump in block and in flow style. Text has no digits:
# a digit-only text such as -.5 or 1e3 is text to YAML 1.1 and a number to relcalc, on purpose
# (the test above covers those against the node path).
keys = st.one_of(st.text(alphabet="abcxyz _-.", min_size=1, max_size=6), st.integers(-50, 50))
leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=False, allow_infinity=True, width=64),
                   st.text(alphabet="ab eyn:#-.'\"\\\n%,[]{}", max_size=8))
documents = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(keys, inner, max_size=4)),
                         max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([False, True, None]))
def test_generated_documents_load_as_safe_load_reads_them(value, flow):
    text = yaml.safe_dump(value, default_flow_style=flow, sort_keys=False)
    reference = yaml.safe_load(text)
    assert same(fast(text), reference)
    assert same(load_document(text, "spec"), reference)


def test_without_libyaml_the_pure_python_parser_feeds_the_same_loop(monkeypatch):
    # PyYAML built without libyaml: the same loop reads the pure-Python parser's events
    texts = CORPUS + [pathlib.Path(p).read_text() for p in SAMPLES]
    with_libyaml = [load_document(text, "spec") for text in texts]
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    _loader_class.cache_clear()
    try:
        assert not issubclass(_loader_class(), yaml.CSafeLoader)
        for text, expected in zip(texts, with_libyaml):
            assert same(fast(text.removeprefix("\ufeff")), expected)
            assert same(load_document(text, "spec"), expected)
    finally:
        _loader_class.cache_clear()
