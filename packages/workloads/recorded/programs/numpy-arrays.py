# A large-array job: numpy allocates big arrays with mmap (and MADV_HUGEPAGE on Linux), matrix
# products on OpenBLAS threads (sharing the mm), a sort and an FFT, arrays freed as it goes.
import numpy as np

rng = np.random.default_rng(1)
a = rng.random((1024, 1024))
b = a @ a.T
c = np.sort(b, axis=None)
del a
d = np.fft.rfft2(b)
e = np.cumsum(c)
print(round(float(e[-1]), 3), round(abs(complex(d[0, 0])), 3))
