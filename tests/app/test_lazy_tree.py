"""The tree costs what is on screen: nodes made a group at a time, labels made for the lines
drawn, so End/Home on a network of 30,000 weights touch a few dozen labels, not 60,000."""

from __future__ import annotations

from conftest import cursor, main, pane, ready

from bptrace.model.spec import parse_spec_text
from bptrace.tui.app import BptraceApp
from bptrace.tui.tree_layout import CHUNK
from bptrace.tui.widgets.network_tree import NetworkTree

SIZES = (300, 100, 10)  # 31,000 weights, 110 biases; per-scalar: tens of thousands of names
SPEC = f"""
name = "wide"
layers = [{", ".join(map(str, SIZES))}]
activation = "tanh"
output_activation = "identity"
loss = "mse"
lr = 0.1
seed = 0
inputs = [{", ".join(f"{(i % 7) / 7:.4f}" for i in range(SIZES[0]))}]
targets = [{", ".join(f"{(i % 3) / 3:.4f}" for i in range(SIZES[-1]))}]
"""
HEIGHT = 30


def wide_app() -> BptraceApp:
    return BptraceApp(spec=parse_spec_text(SPEC, "wide.toml"))


async def test_after_load_only_the_open_groups_have_nodes() -> None:
    app = wide_app()
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        # open at load: the input (5 chunks of 64), Linear 1 (weights and biases closed, 100
        # pre-activations: 2 chunks, the first opened for l1), tanh 1 (2 chunks), Linear 2
        # closed, identity 2 (10 leaves), the loss (10 targets, loss, lr)
        assert tree.node_count < 4 * CHUNK + 60, tree.node_count
        assert cursor(app) == "l1"
        assert tree.label_of("w1").startswith("w1 = ")  # any name still has its label


async def test_end_and_home_touch_a_bounded_number_of_labels() -> None:
    app = wide_app()
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        steps = len(main(app).trace.steps)  # type: ignore[union-attr]
        assert steps > 60_000  # the old tree relabelled every node between the two steps
        for key, index, node in (("end", steps - 1, "b110"), ("home", 0, "l1")):
            before = tree.labels_made
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
            assert main(app).index == index and cursor(app) == node
            made = tree.labels_made - before
            # the lines on screen, drawn once or twice, and the leaves the step's groups opened
            assert 0 < made <= 3 * HEIGHT + 2 * CHUNK, (key, made)
            assert tree.node_count < 4 * CHUNK + 80, (key, tree.node_count)


async def test_stepping_through_weights_keeps_the_node_count_bounded() -> None:
    app = wide_app()
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        start = main(app).trace.steps.index_of("w1", "backward")  # type: ignore[union-attr]
        assert start is not None
        counts = []
        for offset in (0, 70, 140, 700, 7000, 29_999):  # weights into l1, l3, l24, l100
            main(app).index = start + offset
            await pilot.pause()
            counts.append(tree.node_count)
            assert cursor(app) == f"w{offset + 1}"
            assert f"∂loss/∂w{offset + 1}" in pane(app)
        # each step opens its neuron's group and one chunk; the last step's are closed again
        assert max(counts) < 4 * CHUNK + 300, counts


async def test_a_group_the_person_opens_gets_its_leaves() -> None:
    app = wide_app()
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        before = tree.node_count
        biases = next(n for n in tree.root.children[1].children if str(n.label) == "biases")
        assert not biases.is_expanded and not biases.children
        biases.expand()
        await pilot.pause()
        assert [str(c.label) for c in biases.children] == ["b1 … b64", "b65 … b100"]
        assert tree.node_count == before + 2
        biases.children[1].expand()
        await pilot.pause()
        leaves = [c.data for c in biases.children[1].children]
        assert leaves == [f"b{r}" for r in range(65, 101)]
        biases.children[1].collapse()
        await pilot.pause()
        assert not biases.children[1].children  # closed: its leaves are dropped again


def _leaf(tree: NetworkTree, name: str) -> object:
    """The tree node of ``name`` if it is made now (None if not)."""
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        if node.data == name:
            return node
        stack.extend(node.children)
    return None


async def test_groups_the_step_closed_keep_their_leaves_for_a_while() -> None:
    """End and Home close and open the same groups: the last two the step closed keep their
    leaves (not made again), older ones drop them."""
    app = wide_app()
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        await pilot.press("end")
        first = _leaf(tree, "b110")
        assert first is not None
        await pilot.press("home")
        await pilot.press("end")
        assert _leaf(tree, "b110") is first  # the same node: the group's leaves were kept
        await pilot.press("home", "u")  # close it again, then open other groups
        for _ in range(3):  # each jump opens another group of weights (and the step closes it)
            await pilot.press(*["n"] * CHUNK)
        assert _leaf(tree, "b110") is None  # an older group: its leaves were dropped
