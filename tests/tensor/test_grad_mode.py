"""``rp.no_grad()`` and ``rp.enable_grad()`` in several threads: as in PyTorch, whether
operations are recorded is a property of each thread, so a prediction served in one
thread never switches the recording off in a thread that trains."""

import threading

import pytest

import retroprop as rp

TIMEOUT = 10


def _in_thread(target):
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_block_in_one_thread_leaves_the_others_recording():
    entered, leave = threading.Event(), threading.Event()
    inside = []

    def predict():
        with rp.no_grad():
            inside.append(rp.is_grad_enabled())
            entered.set()
            leave.wait(TIMEOUT)

    thread = _in_thread(predict)
    try:
        assert entered.wait(TIMEOUT)
        assert rp.is_grad_enabled()
        w = rp.Tensor([1.0], requires_grad=True)
        (w * 3.0).sum().backward()
        assert w.grad[0] == 3.0
    finally:
        leave.set()
        thread.join(TIMEOUT)
    assert inside == [False] and rp.is_grad_enabled()


@pytest.mark.parametrize("shared", [False, True], ids=["own-blocks", "one-decorator"])
def test_blocks_that_interleave_across_threads_put_back_each_threads_mode(shared):
    """A enters, B enters, A leaves, B leaves: each thread keeps its own mode."""
    block = rp.no_grad()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with block if shared else rp.no_grad():
            a_in.set()
            b_in.wait(TIMEOUT)
        seen["a after"] = rp.is_grad_enabled()
        a_out.set()

    def second():
        a_in.wait(TIMEOUT)
        with block if shared else rp.no_grad():
            b_in.set()
            a_out.wait(TIMEOUT)
            seen["b inside, a gone"] = rp.is_grad_enabled()
        seen["b after"] = rp.is_grad_enabled()

    threads = [_in_thread(first), _in_thread(second)]
    for thread in threads:
        thread.join(TIMEOUT)
    assert seen == {"a after": True, "b inside, a gone": False, "b after": True}
    assert rp.is_grad_enabled()


def test_a_new_thread_records_even_when_started_inside_no_grad():
    seen = []
    with rp.no_grad():
        _in_thread(lambda: seen.append(rp.is_grad_enabled())).join(TIMEOUT)
        assert not rp.is_grad_enabled()
    assert seen == [True]


def test_a_decorated_generator_runs_each_step_of_its_body_in_the_mode():
    """As PyTorch's: the mode holds while the generator's body runs, not only while the
    call makes the generator, and the caller's mode is back between steps."""
    w = rp.Tensor([1.0], requires_grad=True)

    @rp.no_grad()
    def steps():
        for _ in range(2):
            received = yield (w * 2).requires_grad
            assert received in (None, "go")
        return "done"

    seen, gen = [], steps()
    seen.append(next(gen))
    assert rp.is_grad_enabled()
    seen.append(gen.send("go"))
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert seen == [False, False] and stop.value.value == "done"


def test_the_decorators_work_without_parentheses():
    w = rp.Tensor([1.0], requires_grad=True)

    @rp.no_grad
    def off():
        return (w * 2).requires_grad

    @rp.enable_grad
    def on():
        return (w * 2).requires_grad

    assert off() is False
    with rp.no_grad():
        assert on() is True
