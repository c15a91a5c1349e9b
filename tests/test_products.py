"""The layer products (csrc/gemm.c) on every path and every kernel this CPU has.

Each of A·B (forward), Aᵀ·B (dW) and A·Bᵀ (delta_in) is checked against
numpy in float64, on shapes that take each path of the blocked product: a few
rows (B read in place), one column (matrix-vector, both orientations, in one
chain per row or, from K = 128, in 16), tiles
and remainders of every kernel, several K blocks, A packed (rows 4 KiB
apart, a transposed A's columns 2 KiB apart or far apart) and read in place,
one thread and the team. And since each C[i][j] is one chain of fused multiply-adds in
the order of k, the AVX2 and AVX-512 kernels must agree bitwise, and so must
every thread count.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from fcnet import _core

KERNELS = [name for name in ("baseline", "avx2", "avx512") if _core.force_gemm_kernels(name)]
_core.force_gemm_kernels("auto")

# rows, fan_in, fan_out: few rows; one output; K over several blocks with
# remainders in M and N; rows of 4 KiB in float32 (packed A); the team's
# size; outputs of one AVX-512 vector or less (its narrow tile); a transposed
# A of columns 2 KiB apart and many panels, or of K blocks spanning many pages
# (both packed); K blocks of unequal depth on the team's tasks that split C's
# columns, each packing its panels at its own pace. C's last rows take a tile
# of a third or two thirds of a tile's rows where they fit (rows of C: 26, 29,
# 40, 64, 230, 512, 1024...), over several K blocks too, the narrow tile's
# (45, 600, 10) included. Rows of A 4 KiB apart read in place by the tasks
# that split C's columns, on any number of threads: (45, 1024, 520). One K
# block on the team in shares of rows, each packing its own B, the last with
# rows past its last full tile: (301, 64, 100). dW's last few columns (a
# quarter of a panel or less) by vectors of its rows, its last rows in a
# vector ending at C's last row, over several K blocks too: (300, 64, 100),
# (40, 513, 129), (700, 70, 36). B's full panels read in place by the tiles
# where C has 128 rows or fewer, its last panel packed (half or whole), over
# several K blocks too: the forward of (45, 600, 41) and (29, 1024, 70), dW
# of (300, 64, 100) and (700, 70, 36). A transposed A packed in shares, a
# tile of rows at a time by each share: dW of mnist's first layer, (256, 784,
# 256), on the team. All of dW by vectors of its rows where it is narrower
# than AVX-512's one-vector tile, its last rows (a vector's or fewer) in one
# vector, over several K blocks too: (200, 100, 10), (1100, 40, 10). The
# forward's last few columns (AVX-512, float32) by vectors of its rows, A's
# rows turned over first, 32 rows by 128 k at a time: its last rows in a
# vector that overlaps the rows before it, fewer rows than two vectors, and
# several blocks of k: (300, 64, 100), (20, 100, 3), (70, 300, 36). A
# transposed A packed whole by the team, C's columns split over it on any
# number of threads, with an edge panel: dW of (40, 512, 580).
SHAPES = [(2, 37, 19), (3, 5, 1), (61, 700, 1), (45, 600, 41), (29, 1024, 70),
          (26, 512, 35), (203, 130, 77), (300, 64, 100), (57, 23, 12), (33, 7, 6),
          (45, 512, 520), (230, 800, 260), (40, 513, 129), (45, 600, 10), (45, 1024, 520),
          (301, 64, 100), (700, 70, 36), (256, 784, 256), (200, 100, 10), (1100, 40, 10),
          (20, 100, 3), (70, 300, 36), (40, 512, 580)]


@pytest.fixture
def kernels(request):
    assert _core.force_gemm_kernels(request.param)
    yield request.param
    _core.force_gemm_kernels("auto")


def layer(rows, fan_in, fan_out, dtype):
    rng = np.random.default_rng(rows * fan_in + fan_out)
    A = rng.standard_normal((rows, fan_in)).astype(dtype)
    W = rng.standard_normal((fan_in, fan_out)).astype(dtype)
    delta = rng.standard_normal((rows, fan_out)).astype(dtype)
    return A, W, delta


def products(A, W, delta):
    """Z = A @ W, dW = A.T @ delta and delta_in = delta @ W.T, by fcnet."""
    Z = np.empty((A.shape[0], W.shape[1]), A.dtype)
    _core.dense_forward(Z, A, W, np.zeros(W.shape[1], A.dtype), "identity")
    dW, db, delta_in = np.empty_like(W), np.empty(W.shape[1], A.dtype), np.empty_like(A)
    _core.dense_backward(dW, db, delta_in, delta, A, W, 0.0, 1.0, "identity")
    return Z, dW, delta_in


@pytest.mark.parametrize("kernels", KERNELS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out", SHAPES)
def test_products_match_numpy(kernels, dtype, rows, fan_in, fan_out):
    A, W, delta = layer(rows, fan_in, fan_out, dtype)
    A64, W64, delta64 = (x.astype(np.float64) for x in (A, W, delta))
    tol = {np.float32: 1e-5, np.float64: 1e-13}[dtype] * np.sqrt(max(fan_in, fan_out, rows))
    for mine, expected in zip(products(A, W, delta), (A64 @ W64, A64.T @ delta64, delta64 @ W64.T)):
        assert_allclose(mine, expected, rtol=0, atol=tol * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out", SHAPES)
def test_fused_kernels_agree_bitwise(dtype, rows, fan_in, fan_out):
    fused = [name for name in ("avx2", "avx512") if name in KERNELS]
    if len(fused) < 2:
        pytest.skip("this CPU has fewer than two fused multiply-add kernels")
    results = []
    for name in fused:
        assert _core.force_gemm_kernels(name)
        results.append(products(*layer(rows, fan_in, fan_out, dtype)))
    _core.force_gemm_kernels("auto")
    for a, b in zip(*results):
        assert_array_equal(a, b)


@pytest.mark.parametrize("kernels", KERNELS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out", SHAPES + [(300, 1, 100)])
def test_the_bias_added_as_sums_are_stored_rounds_as_adding_it_after(kernels, dtype, rows,
                                                                     fan_in, fan_out):
    """The product adds b to each finished sum as it stores it, on every path
    (tiles, their corners, several K blocks, the edge columns of a forward
    with fan_in 1, rows and columns read in place), on one thread and the
    team: Z is the product without b, plus b, rounded once."""
    A, W, _ = layer(rows, fan_in, fan_out, dtype)
    b = np.random.default_rng(fan_out).standard_normal(fan_out).astype(dtype)
    for threads in (1, 2):
        with_bias, without = np.empty((2, rows, fan_out), dtype)
        with threadpool_limits(limits=threads):
            _core.dense_forward(with_bias, A, W, b, "identity")
            _core.dense_forward(without, A, W, np.zeros_like(b), "identity")
        assert_array_equal(with_bias, without + b)


@pytest.mark.parametrize("kernels", KERNELS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out",
                         SHAPES + [(57, 2, 40), (3, 40, 300), (1300, 150, 70), (1300, 150, 80),
                                   (1300, 150, 90), (200, 600, 50), (100, 256, 128),
                                   (600, 512, 530)])
def test_db_is_delta_summed_over_rows_in_order_on_every_path(kernels, dtype, rows, fan_in,
                                                             fan_out):
    """dW's product sums delta's columns as it packs delta, and sums the
    columns it does not pack (read in place, edge columns, products read
    where they lie) apart: on every path (rows, by blocks of panels and of
    K, columns, shares, in place), on one thread and the team, db is the
    sum from the first row to the last, divided by weight_sum."""
    A, W, delta = layer(rows, fan_in, fan_out, dtype)
    in_order = np.zeros(fan_out, dtype)
    for row in delta:
        in_order += row
    for threads in (1, 2):
        dW, db = np.empty_like(W), np.empty(fan_out, dtype)
        with threadpool_limits(limits=threads):
            _core.dense_backward(dW, db, None, delta, A, W, 0.1, 3.0, "identity")
        assert_array_equal(db, in_order / dtype(3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out",
                         [(300, 64, 100), (256, 1024, 70), (97, 512, 300), (257, 1100, 1),
                          (600, 512, 530), (40, 513, 129), (45, 1024, 520), (301, 64, 100),
                          (250, 784, 256), (40, 512, 580)])
def test_products_are_bitwise_the_same_for_any_thread_count(dtype, rows, fan_in, fan_out):
    """Large enough for the team; the tasks split rows, never a sum."""
    args = layer(rows, fan_in, fan_out, dtype)
    by_threads = []
    for threads in (1, 2, 3):
        with threadpool_limits(limits=threads):
            by_threads.append(products(*args))
    for other in by_threads[1:]:
        for a, b in zip(by_threads[0], other):
            assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["tanh", "softmax"])
def test_epilogue_finishes_rows_block_by_block_of_columns(dtype, activation):
    """A beyond half of a 2 MiB L2 and B of 17 panels of 32 at depth 512: the
    rows path computes and finishes C in two blocks of columns (softmax: one)."""
    A, W, _ = layer(600, 512, 530, dtype)
    b = np.linspace(-1, 1, 530).astype(dtype)
    out = np.empty((600, 530), dtype)
    _core.dense_forward(out, A, W, b, activation)
    Z = A.astype(np.float64) @ W.astype(np.float64) + b
    if activation == "tanh":
        expected = np.tanh(Z)
    else:
        expected = np.exp(Z - Z.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
    tol = {np.float32: 1e-5, np.float64: 1e-13}[dtype] * np.sqrt(512)
    assert_allclose(out, expected, rtol=0, atol=tol * np.abs(Z).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epilogues_finish_strips_of_columns_as_one_thread_finishes_rows(dtype):
    """A small A and whole panels: on two threads the tasks split C's columns
    and each finishes a strip of every row (bias and tanh, L2 and scaling,
    tanh's derivative); one thread finishes whole rows. Both must match
    numpy, and each other bit for bit."""
    A, W, delta = layer(100, 256, 128, dtype)
    A_in = np.tanh(A)  # the outputs of a tanh layer, for the derivative
    b = np.linspace(-1, 1, 128).astype(dtype)
    alpha, weight_sum = 0.1, 100.0
    by_threads = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            out = np.empty((100, 128), dtype)
            _core.dense_forward(out, A_in, W, b, "tanh")
            dW, db, delta_in = np.empty_like(W), np.empty(128, dtype), np.empty_like(A_in)
            _core.dense_backward(dW, db, delta_in, delta, A_in, W, alpha, weight_sum, "tanh")
            by_threads.append((out, dW, db, delta_in))
    A64, W64, delta64 = (x.astype(np.float64) for x in (A_in, W, delta))
    expected = (np.tanh(A64 @ W64 + b), (A64.T @ delta64 + alpha * W64) / weight_sum,
                delta64.sum(axis=0) / weight_sum, (delta64 @ W64.T) * (1 - A64**2))
    tol = {np.float32: 1e-5, np.float64: 1e-13}[dtype] * np.sqrt(256)
    for mine, one_thread, reference in zip(by_threads[1], by_threads[0], expected):
        assert_allclose(mine, reference, rtol=0, atol=tol * np.abs(reference).max())
        assert_array_equal(mine, one_thread)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight_sum", [256.0, 0.5, 2.0**-100, 100.0, 3.0])
@pytest.mark.parametrize("alpha", [0.1, 0.0])
def test_dW_is_divided_by_weight_sum_as_scikit_learn_divides(dtype, weight_sum, alpha):
    """dW = (sum + alpha W) / weight_sum, rounded as numpy divides, bit for
    bit: by a multiply where the reciprocal is exact (a power of two), else
    by a divide; without an L2 term (alpha 0, where W is not read), too."""
    A, W, delta = layer(64, 48, 40, dtype)
    dW_of = {}
    for divisor in (1.0, weight_sum):
        dW, db = np.empty_like(W), np.empty(40, dtype)
        _core.dense_backward(dW, db, None, delta, A, W, alpha, divisor, "identity")
        dW_of[divisor] = dW
    assert_array_equal(dW_of[weight_sum], dW_of[1.0] / dtype(weight_sum))


@pytest.mark.parametrize("kernels", KERNELS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fan_in", [100, 128, 1000])
def test_a_row_of_one_column_rounds_alike_alone_and_in_any_batch(kernels, dtype, fan_in):
    """One output (a regressor's last layer): a row predicted alone, a few rows
    and a batch take different paths, shallow or deep (16 chains from K =
    128), and must give each row the same bits."""
    rng = np.random.default_rng(fan_in)
    A = rng.standard_normal((70, fan_in)).astype(dtype)
    W = rng.standard_normal((fan_in, 1)).astype(dtype)
    b = np.zeros(1, dtype)

    def forward(rows):
        out = np.empty((len(rows), 1), dtype)
        _core.dense_forward(out, np.ascontiguousarray(rows), W, b, "identity")
        return out

    batch = forward(A)
    for start, stop in [(0, 1), (5, 6), (3, 5), (10, 13), (20, 64)]:
        assert_array_equal(forward(A[start:stop]), batch[start:stop])
    tol = {np.float32: 1e-5, np.float64: 1e-13}[dtype] * np.sqrt(fan_in)
    expected = A.astype(np.float64) @ W.astype(np.float64)
    assert_allclose(batch, expected, rtol=0, atol=tol * np.abs(expected).max())


def test_forcing_a_kernel_the_cpu_lacks_changes_nothing():
    assert _core.force_gemm_kernels("baseline")
    assert _core.force_gemm_kernels("auto")
    for name in {"avx2", "avx512"} - set(KERNELS):
        assert not _core.force_gemm_kernels(name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, fan_in, fan_out", [(96, 300, 70), (301, 64, 100),
                                                   (45, 1024, 520)])
def test_a_scratch_at_any_alignment_gives_the_same_products_within_its_length(
        dtype, rows, fan_in, fan_out):
    """fcn_gemm starts its packs on a cache line of the scratch it is given:
    every offset of a scratch of exactly pack_len reals rounds alike, and the
    guard reals around it stay untouched, on every path (the shares of rows
    hold a copy of B per thread)."""
    A, W, delta = layer(rows, fan_in, fan_out, dtype)
    b = np.zeros(fan_out, dtype)
    length = max(_core.pack_len(rows, fan_in, fan_out), _core.pack_len(fan_in, rows, fan_out),
                 _core.pack_len(rows, fan_out, fan_in))
    guard = 16
    expected = None
    for offset in range(16):
        memory = np.full(offset + length + guard, 7.0, dtype)
        pack = memory[offset:offset + length]
        Z, dW, db, delta_in = (np.empty((rows, fan_out), dtype), np.empty_like(W),
                               np.empty(fan_out, dtype), np.empty_like(A))
        _core.dense_forward(Z, A, W, b, "identity", pack)
        _core.dense_backward(dW, db, delta_in, delta, A, W, 0.0, 1.0, "identity", pack)
        assert (memory[:offset] == 7).all() and (memory[offset + length:] == 7).all()
        if expected is None:
            expected = (Z, dW, delta_in)
        for mine, first in zip((Z, dW, delta_in), expected):
            assert_array_equal(mine, first)


@pytest.mark.parametrize("kernels", KERNELS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [8, 13, 37, 200])
def test_outputs_narrower_than_a_tile_are_stored_row_after_row_within_Z(kernels, dtype, rows):
    """A product narrower than its tile stores each row's vectors in place,
    running on into the rows after it, which are stored after it: every
    output width below two AVX-512 vectors, on one thread and the team, gives
    Z row by row as each row alone does (the same chain of multiply-adds),
    and leaves the reals around Z untouched."""
    guard = 32
    for fan_out in range(2, 32):
        A, W, _ = layer(rows, 100, fan_out, dtype)
        b = np.linspace(-1, 1, fan_out).astype(dtype)
        alone = np.empty((rows, fan_out), dtype)
        for i in range(rows):
            _core.dense_forward(alone[i:i + 1], A[i:i + 1], W, b, "identity")
        for threads in (1, 2):
            memory = np.full(guard + rows * fan_out + guard, 7.0, dtype)
            Z = memory[guard:guard + rows * fan_out].reshape(rows, fan_out)
            with threadpool_limits(limits=threads):
                _core.dense_forward(Z, A, W, b, "identity")
            assert (memory[:guard] == 7).all() and (memory[guard + rows * fan_out:] == 7).all()
            assert_array_equal(Z, alone)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_off_a_cache_line_get_the_same_products(dtype):
    """Where the columns tasks' strips of C would meet inside cache lines (C
    off a 64-byte line), the team takes another path: each product, on two
    threads, bit for bit the one with C on a line."""
    rows, fan_in, fan_out = 256, 256, 128
    A, W, delta = layer(rows, fan_in, fan_out, dtype)
    b = np.linspace(-1, 1, fan_out).astype(dtype)

    def at_offset(shape, offset):
        """an empty array starting `offset` bytes past a cache line"""
        size = int(np.prod(shape))
        memory = np.empty(size + 128 // A.itemsize, dtype)
        start = (-memory.ctypes.data % 64 + offset) // A.itemsize
        return memory[start:start + size].reshape(shape)

    by_offset = []
    for offset in range(0, 64, 16):
        Z, dW, delta_in = (at_offset((rows, fan_out), offset), at_offset(W.shape, offset),
                           at_offset(A.shape, offset))
        db = np.empty(fan_out, dtype)
        with threadpool_limits(limits=2):
            _core.dense_forward(Z, A, W, b, "identity")
            _core.dense_backward(dW, db, delta_in, delta, A, W, 0.1, 256.0, "identity")
        by_offset.append((Z.copy(), dW.copy(), delta_in.copy()))
    for products in by_offset[1:]:
        for mine, on_a_line in zip(products, by_offset[0]):
            assert_array_equal(mine, on_a_line)
