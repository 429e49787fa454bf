/*
 * pagelab-executor: performs a workload log's memory events on the running
 * kernel. The TypeScript driver (src/driver.ts) translates each log event
 * into one line on our stdin and reads one reply line from our stdout:
 *
 *     R <rc> <errno> <ns> [extra...]
 *
 * This process (the controller) maps no log memory itself. Each log process
 * is a real process (a worker) forked from the controller (spawn) or from
 * another worker (fork), driven over a socketpair. Shmem files are memfds
 * held by the controller; workers open them through /proc/<controller>/fd.
 * Knobs (sysfs/procfs) are the driver's business, never ours.
 *
 * Built on first use with the system cc (see src/build.ts); no liburing:
 * io_uring_setup/io_uring_register are called as raw syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#endif

/* PAGEMAP_SCAN (6.7+, fs/proc/task_mmu.c); the installed uapi headers may predate it. */
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct page_region {
	uint64_t start, end, categories;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_FILE (1ULL << 2)
#define PAGE_IS_PRESENT (1ULL << 3)
#define PAGE_IS_SWAPPED (1ULL << 4)
#define PAGE_IS_PFNZERO (1ULL << 5)
#define PAGE_IS_HUGE (1ULL << 6)

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16

#define PAGE 4096UL
#define MAX_PROCS 1024
#define MAX_HANDLES 4096
#define MAX_PIPES 64
#define PIPE_BYTES (1UL << 20)

enum op {
	OP_EXIT = 1, OP_FORK, OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MADVISE, OP_TOUCH,
	OP_PIN, OP_UNPIN, OP_GET, OP_PUT, OP_DIO, OP_QUERY, OP_ORDER, OP_CONTENT,
};

struct req {
	int32_t op;
	int32_t pad;
	int64_t a[8];
	char path[256];
};

struct rep {
	int64_t rc;
	int32_t err;
	int32_t nextra; /* bytes of text after this header */
	int64_t ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------------ worker */

/* A handle: an io_uring with one registered buffer (pin), or pipes holding vmsplice'd pages (get). */
struct handle {
	int used;
	int ring;
	int npipes;
	int pipes[MAX_PIPES][2];
};

static struct handle handles[MAX_HANDLES];
static int ctrl_sock = -1;
static int self_mem = -1;
static int pagemap_fd = -1;
static int kpageflags_fd = -1;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_sig;

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

static void close_handle(struct handle *h)
{
	if (h->ring >= 0)
		close(h->ring);
	for (int i = 0; i < h->npipes; i++) {
		close(h->pipes[i][0]);
		close(h->pipes[i][1]);
	}
	memset(h, 0, sizeof(*h));
	h->ring = -1;
}

static int send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -1;
}

static int recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	if (recvmsg(sock, &msg, 0) != (ssize_t)len)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void open_introspection(void)
{
	if (self_mem >= 0)
		close(self_mem);
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	/* /proc/self/mem reads go through GUP without FOLL_TOUCH: reading content sets no accessed bit. */
	self_mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (kpageflags_fd < 0)
		kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
}

/* PAGEMAP_SCAN over [start, end): pages per category combination, summed into the five counts. */
static int scan_counts(uint64_t start, uint64_t end, uint64_t out[5])
{
	static struct page_region vec[512];
	memset(out, 0, 5 * sizeof(uint64_t));
	uint64_t pos = start;
	while (pos < end) {
		struct pm_scan_arg arg = {
			.size = sizeof(arg), .start = pos, .end = end, .vec = (uint64_t)(uintptr_t)vec, .vec_len = 512,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_FILE | PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO | PAGE_IS_HUGE,
		};
		long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return -1;
		for (long i = 0; i < n; i++) {
			uint64_t pages = (vec[i].end - vec[i].start) / PAGE, c = vec[i].categories;
			int present = (c & PAGE_IS_PRESENT) != 0, zero = (c & PAGE_IS_PFNZERO) != 0, file = (c & PAGE_IS_FILE) != 0;
			if (present && !zero && (c & PAGE_IS_HUGE) && !file)
				out[0] += pages; /* AnonHugePages */
			if (present && !zero && (c & PAGE_IS_HUGE) && file)
				out[1] += pages; /* ShmemPmdMapped */
			if (present && !zero && !file)
				out[2] += pages; /* RssAnon */
			if (c & PAGE_IS_SWAPPED)
				out[3] += pages;
			out[4] += pages; /* present or swapped */
		}
		if (arg.walk_end <= pos)
			break;
		pos = arg.walk_end;
	}
	return 0;
}

static int pagemap_entry(uint64_t addr, uint64_t *e)
{
	return pread(pagemap_fd, e, 8, (off_t)(addr / PAGE * 8)) == 8 ? 0 : -1;
}

static int kflags(uint64_t pfn, uint64_t *f)
{
	return pread(kpageflags_fd, f, 8, (off_t)(pfn * 8)) == 8 ? 0 : -1;
}

/* The order of the folio mapped at addr: walk the compound head/tail flags of /proc/kpageflags. -1 if not present. */
static long folio_order(uint64_t addr)
{
	uint64_t e, f;
	if (pagemap_entry(addr, &e) < 0)
		return -2;
	if (!(e >> 63 & 1))
		return -1;
	uint64_t pfn = e & ((1ULL << 55) - 1);
	if (kflags(pfn, &f) < 0)
		return -2;
	if (!(f >> KPF_COMPOUND_HEAD & 1) && !(f >> KPF_COMPOUND_TAIL & 1))
		return 0;
	uint64_t head = pfn;
	for (int i = 0; i < (1 << 18) && (f >> KPF_COMPOUND_TAIL & 1); i++) {
		head--;
		if (kflags(head, &f) < 0)
			return -2;
	}
	uint64_t nr = 1;
	for (;;) {
		if (kflags(head + nr, &f) < 0 || !(f >> KPF_COMPOUND_TAIL & 1))
			break;
		nr++;
	}
	long order = 0;
	while ((1UL << order) < nr)
		order++;
	return order;
}

static void reply(const struct rep *r, const char *extra)
{
	struct rep out = *r;
	out.nextra = extra ? (int32_t)strlen(extra) : 0;
	if (write_full(ctrl_sock, &out, sizeof(out)) < 0 || (out.nextra && write_full(ctrl_sock, extra, (size_t)out.nextra) < 0))
		_exit(3);
}

static int64_t do_touch(char *addr, uint64_t len, int write, int has_value, int64_t value, int32_t *err)
{
	volatile char *p;
	volatile uint64_t off = 0;
	struct sigaction sa = { .sa_handler = on_fault }, old_segv, old_bus;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	volatile int64_t failed = 0;
	for (; off < len; off += PAGE) {
		p = addr + off;
		if (sigsetjmp(fault_jmp, 1)) {
			*err = fault_sig == SIGBUS ? EIO : EFAULT;
			failed++;
			continue;
		}
		if (write)
			*(volatile int64_t *)p = has_value ? value : value + (int64_t)(off / PAGE);
		else
			(void)*(volatile int64_t *)p;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return failed ? -1 : 0;
}

static int64_t do_pin(struct handle *h, void *addr, uint64_t len, int32_t *err)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = (int)syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	/* IORING_REGISTER_BUFFERS: pin_user_pages with FOLL_WRITE | FOLL_LONGTERM (io_uring/rsrc.c). */
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	h->used = 1;
	h->ring = fd;
	h->npipes = 0;
	return 0;
}

static int64_t do_get(struct handle *h, char *addr, uint64_t len, int32_t *err)
{
	h->used = 1;
	h->ring = -1;
	h->npipes = 0;
	for (uint64_t off = 0; off < len; off += PIPE_BYTES) {
		if (h->npipes == MAX_PIPES) {
			*err = E2BIG;
			return -1;
		}
		int *pp = h->pipes[h->npipes];
		if (pipe2(pp, O_NONBLOCK | O_CLOEXEC) < 0) {
			*err = errno;
			return -1;
		}
		h->npipes++;
		uint64_t chunk = len - off < PIPE_BYTES ? len - off : PIPE_BYTES;
		if (fcntl(pp[1], F_SETPIPE_SZ, (int)PIPE_BYTES) < 0) {
			*err = errno;
			return -1;
		}
		uint64_t done = 0;
		while (done < chunk) {
			struct iovec iov = { .iov_base = addr + off + done, .iov_len = chunk - done };
			ssize_t n = vmsplice(pp[1], &iov, 1, 0);
			if (n <= 0) {
				*err = n < 0 ? errno : EAGAIN;
				return -1;
			}
			done += (uint64_t)n;
		}
	}
	return 0;
}

static int64_t do_dio(const char *path, char *addr, uint64_t len, int write, int64_t count, int32_t *err)
{
	int fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	for (int64_t i = 0; i < count; i++) {
		ssize_t n = write ? pwrite(fd, addr, len, 0) : pread(fd, addr, len, 0);
		if (n != (ssize_t)len) {
			*err = n < 0 ? errno : EIO;
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* Content of each page for contentIntact: P<hex> present, S swapped (not read: it would swap in), N nothing mapped. */
static char *content(uint64_t addr, uint64_t len)
{
	size_t cap = (len / PAGE) * 20 + 16, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (uint64_t a = addr; a < addr + len; a += PAGE) {
		uint64_t e = 0;
		int64_t v = 0;
		pagemap_entry(a, &e);
		if (e >> 63 & 1) {
			if (pread(self_mem, &v, 8, (off_t)a) != 8)
				n += (size_t)sprintf(out + n, "E ");
			else
				n += (size_t)sprintf(out + n, "P%llx ", (unsigned long long)v);
		} else if (e >> 62 & 1) {
			n += (size_t)sprintf(out + n, "S ");
		} else {
			n += (size_t)sprintf(out + n, "N ");
		}
	}
	out[n] = 0;
	return out;
}

static void worker_loop(void) __attribute__((noreturn));
static void worker_loop(void)
{
	open_introspection();
	for (;;) {
		struct req q;
		if (read_full(ctrl_sock, &q, sizeof(q)) < 0)
			_exit(0); /* the controller went away: so do we */
		struct rep r = { 0 };
		char *extra = NULL;
		char small[96];
		int64_t t0 = now_ns();
		uint64_t a0 = (uint64_t)q.a[0], a1 = (uint64_t)q.a[1];
		errno = 0;
		switch (q.op) {
		case OP_EXIT:
			_exit(0);
		case OP_FORK: {
			int sv[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
				r.rc = -1;
				r.err = errno;
				break;
			}
			pid_t c = fork();
			if (c == 0) {
				/* The child: its handles belong to the parent (the model keeps them with the parent's pid). */
				for (int i = 0; i < MAX_HANDLES; i++)
					if (handles[i].used)
						close_handle(&handles[i]);
				close(sv[0]);
				close(ctrl_sock);
				ctrl_sock = sv[1];
				worker_loop();
			}
			close(sv[1]);
			r.rc = c;
			r.err = c < 0 ? errno : 0;
			r.ns = now_ns() - t0;
			r.nextra = 0;
			/* The reply header travels with the child's socket end. */
			if (send_fd(ctrl_sock, sv[0], &r, sizeof(r)) < 0)
				_exit(3);
			close(sv[0]);
			continue;
		}
		case OP_MMAP: {
			int prot = PROT_READ | (q.a[4] ? PROT_WRITE : 0);
			void *p;
			if (q.a[2] == 0) {
				p = mmap((void *)a0, a1, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			} else {
				int fd = open(q.path, O_RDWR | O_CLOEXEC);
				if (fd < 0) {
					r.rc = -1;
					r.err = errno;
					break;
				}
				p = mmap((void *)a0, a1, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (off_t)q.a[3]);
				close(fd);
			}
			r.rc = p == MAP_FAILED ? -1 : 0;
			if (p != MAP_FAILED && p != (void *)a0) {
				munmap(p, a1); /* an old kernel ignoring NOREPLACE put it elsewhere */
				r.rc = -1;
				errno = EEXIST;
			}
			r.err = r.rc ? errno : 0;
			break;
		}
		case OP_MUNMAP:
			r.rc = munmap((void *)a0, a1);
			break;
		case OP_MPROTECT:
			r.rc = mprotect((void *)a0, a1, PROT_READ | (q.a[2] ? PROT_WRITE : 0));
			break;
		case OP_MREMAP: {
			/* mremap PID ADDR LEN NEWADDR [NEWLEN]: a resizing move when NEWLEN differs from LEN. */
			void *p = mremap((void *)a0, a1, q.a[3] ? (uint64_t)q.a[3] : a1, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)q.a[2]);
			r.rc = p == MAP_FAILED ? -1 : 0;
			break;
		}
		case OP_MADVISE:
			r.rc = madvise((void *)a0, a1, (int)q.a[2]);
			break;
		case OP_TOUCH:
			r.rc = do_touch((char *)a0, a1, (int)q.a[2], (int)q.a[3], q.a[4], &r.err);
			break;
		case OP_PIN:
		case OP_GET: {
			int64_t id = q.a[2];
			if (id < 0 || id >= MAX_HANDLES || handles[id].used) {
				r.rc = -1;
				r.err = EBUSY;
				break;
			}
			r.rc = q.op == OP_PIN ? do_pin(&handles[id], (void *)a0, a1, &r.err) : do_get(&handles[id], (char *)a0, a1, &r.err);
			if (r.rc < 0)
				close_handle(&handles[id]);
			break;
		}
		case OP_UNPIN:
		case OP_PUT: {
			int64_t id = q.a[0];
			if (id < 0 || id >= MAX_HANDLES || !handles[id].used) {
				r.rc = -1;
				r.err = ENOENT;
				break;
			}
			/* Unregister first: it unpins synchronously; closing the ring alone defers the teardown to a worker. */
			if (handles[id].ring >= 0)
				r.rc = syscall(__NR_io_uring_register, handles[id].ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
			close_handle(&handles[id]);
			break;
		}
		case OP_DIO:
			r.rc = do_dio(q.path, (char *)a0, a1, (int)q.a[2], q.a[3], &r.err);
			break;
		case OP_QUERY: {
			uint64_t c[5];
			r.rc = scan_counts(a0, a0 + a1, c);
			snprintf(small, sizeof(small), "%llu %llu %llu %llu %llu", (unsigned long long)c[0], (unsigned long long)c[1],
				 (unsigned long long)c[2], (unsigned long long)c[3], (unsigned long long)c[4]);
			extra = small;
			break;
		}
		case OP_ORDER: {
			long o = folio_order(a0);
			r.rc = o == -2 ? -1 : 0;
			snprintf(small, sizeof(small), "%ld", o);
			extra = small;
			break;
		}
		case OP_CONTENT:
			extra = content(a0, a1);
			r.rc = extra ? 0 : -1;
			break;
		default:
			r.rc = -1;
			r.err = EINVAL;
		}
		if (r.rc < 0 && r.err == 0)
			r.err = errno;
		r.ns = now_ns() - t0;
		reply(&r, extra);
		if (q.op == OP_CONTENT)
			free(extra);
	}
}

/* -------------------------------------------------------------- controller */

struct proc {
	long pid; /* the log's pid */
	pid_t os;
	int sock;
};

static struct proc procs[MAX_PROCS];
static int nprocs;
static int memfds[MAX_HANDLES];

static struct proc *find_proc(long pid)
{
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

static void drop_proc(struct proc *p)
{
	close(p->sock);
	*p = procs[--nprocs];
}

static void kill_all(void)
{
	for (int i = 0; i < nprocs; i++)
		kill(procs[i].os, SIGKILL);
}

static void on_term(int sig)
{
	(void)sig;
	kill_all();
	_exit(1);
}

static pid_t new_worker(int *sock)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t c = fork();
	if (c == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_IGN); /* the driver decides when we stop */
		signal(SIGCHLD, SIG_IGN); /* a forked child that exits is reaped by its parent at once */
		for (int i = 0; i < nprocs; i++)
			close(procs[i].sock);
		close(sv[0]);
		ctrl_sock = sv[1];
		for (int i = 0; i < MAX_HANDLES; i++)
			handles[i].ring = -1;
		worker_loop();
	}
	close(sv[1]);
	*sock = sv[0];
	return c;
}

/* Sends a request to a worker and prints its reply as one line. */
static void call(struct proc *p, struct req *q)
{
	struct rep r;
	if (write_full(p->sock, q, sizeof(*q)) < 0 || read_full(p->sock, &r, sizeof(r)) < 0) {
		printf("R -1 %d 0 worker-gone\n", EPIPE);
		return;
	}
	char *extra = NULL;
	if (r.nextra > 0) {
		extra = malloc((size_t)r.nextra + 1);
		if (!extra || read_full(p->sock, extra, (size_t)r.nextra) < 0) {
			printf("R -1 %d 0 worker-gone\n", EPIPE);
			free(extra);
			return;
		}
		extra[r.nextra] = 0;
	}
	printf("R %lld %d %lld%s%s\n", (long long)r.rc, r.err, (long long)r.ns, extra ? " " : "", extra ? extra : "");
	free(extra);
}

/* Waits for a worker's socket to close: exit_mm runs before exit_files, so the address space is gone by then. */
static void wait_gone(struct proc *p)
{
	char c;
	while (read(p->sock, &c, 1) > 0)
		;
	int st;
	waitpid(p->os, &st, WNOHANG); /* a spawned worker is our child; a forked one is reaped by its parent or, as an orphan, by us (subreaper) */
}

static int op_of(const char *s)
{
	static const char *names[] = { "", "exit", "fork", "mmap", "munmap", "mprotect", "mremap", "madvise", "touch",
				       "pin", "unpin", "get", "put", "dio", "query", "order", "content" };
	for (int i = 1; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(s, names[i]))
			return i;
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_HANDLES; i++)
		memfds[i] = -1;
	char line[1024];
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32] = "", path[256] = "";
		long long v[9] = { 0 };
		int n = sscanf(line, "%31s %lld %lld %lld %lld %lld %lld %lld %lld %lld", cmd, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			       &v[7], &v[8]);
		(void)n;
		char *ps = strstr(line, " @");
		if (ps) {
			snprintf(path, sizeof(path), "%s", ps + 2);
			path[strcspn(path, "\n")] = 0;
		}
		int64_t t0 = now_ns();
		/* Controller-level commands. */
		if (!strcmp(cmd, "hello")) {
			printf("R %d 0 0\n", getpid());
			continue;
		}
		if (!strcmp(cmd, "spawn")) {
			int sock;
			pid_t c = new_worker(&sock);
			if (c > 0) {
				procs[nprocs++] = (struct proc){ .pid = v[0], .os = c, .sock = sock };
			}
			printf("R %d %d %lld\n", c, c < 0 ? errno : 0, (long long)(now_ns() - t0));
			continue;
		}
		if (!strcmp(cmd, "file")) {
			/* file ID: a memfd for one shmem file name; workers open /proc/<us>/fd/<fd>. */
			int id = (int)v[0];
			if (id < 0 || id >= MAX_HANDLES) {
				printf("R -1 %d 0\n", EINVAL);
				continue;
			}
			if (memfds[id] < 0) {
				char name[32];
				snprintf(name, sizeof(name), "pagelab-%d", id);
				memfds[id] = (int)syscall(__NR_memfd_create, name, 0U);
			}
			printf("R %d %d 0\n", memfds[id], memfds[id] < 0 ? errno : 0);
			continue;
		}
		if (!strcmp(cmd, "grow") || !strcmp(cmd, "truncate") || !strcmp(cmd, "punch") || !strcmp(cmd, "fread")) {
			int id = (int)v[0];
			int fd = id >= 0 && id < MAX_HANDLES ? memfds[id] : -1;
			if (fd < 0) {
				printf("R -1 %d 0\n", EBADF);
				continue;
			}
			if (!strcmp(cmd, "fread")) {
				/* fread ID PGOFF N: the page cache's first word of N pages (pread: nothing gets mapped). */
				printf("R 0 0 0");
				for (long long i = 0; i < v[2]; i++) {
					int64_t w = 0;
					ssize_t r = pread(fd, &w, 8, (off_t)((v[1] + i) * (long long)PAGE));
					printf(r == 8 ? " P%llx" : " P0", (unsigned long long)w);
				}
				printf("\n");
				continue;
			}
			long rc;
			if (!strcmp(cmd, "grow")) {
				off_t cur = lseek(fd, 0, SEEK_END);
				rc = cur < (off_t)v[1] ? ftruncate(fd, (off_t)v[1]) : 0;
			} else if (!strcmp(cmd, "truncate")) {
				rc = ftruncate(fd, (off_t)v[1]);
			} else {
				rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)v[1], (off_t)v[2]);
			}
			printf("R %ld %d %lld\n", rc, rc < 0 ? errno : 0, (long long)(now_ns() - t0));
			continue;
		}
		int op = op_of(cmd);
		struct proc *p = op && op != OP_UNPIN && op != OP_PUT ? find_proc(v[0]) : NULL;
		if (op == OP_UNPIN || op == OP_PUT)
			p = find_proc(v[0]); /* unpin PID HANDLE: the driver knows which process holds it */
		if (!op || !p) {
			printf("R -1 %d 0 %s\n", op ? ESRCH : EINVAL, op ? "no-such-process" : "unknown-command");
			continue;
		}
		struct req q;
		memset(&q, 0, sizeof(q));
		q.op = op;
		for (int i = 0; i < 8; i++)
			q.a[i] = v[i + 1];
		memcpy(q.path, path, sizeof(q.path));
		if (op == OP_EXIT) {
			write_full(p->sock, &q, sizeof(q));
			wait_gone(p);
			drop_proc(p);
			printf("R 0 0 %lld\n", (long long)(now_ns() - t0));
			continue;
		}
		if (op == OP_FORK) {
			/* fork PARENT CHILD: the parent worker forks and hands back the child's socket. */
			struct rep r;
			if (write_full(p->sock, &q, sizeof(q)) < 0) {
				printf("R -1 %d 0\n", EPIPE);
				continue;
			}
			int fd = recv_fd(p->sock, &r, sizeof(r));
			if (fd < 0 || r.rc < 0) {
				printf("R -1 %d 0\n", fd < 0 ? EPIPE : r.err);
				continue;
			}
			procs[nprocs++] = (struct proc){ .pid = v[1], .os = (pid_t)r.rc, .sock = fd };
			printf("R %lld 0 %lld\n", (long long)r.rc, (long long)r.ns);
			continue;
		}
		call(p, &q);
	}
	/* stdin closed: the run is over. Workers exit when their socket closes. */
	for (int i = 0; i < nprocs; i++) {
		struct req q = { .op = OP_EXIT };
		write_full(procs[i].sock, &q, sizeof(q));
	}
	while (nprocs)
		wait_gone(&procs[0]), drop_proc(&procs[0]);
	for (int i = 0; i < MAX_HANDLES; i++)
		if (memfds[i] >= 0)
			close(memfds[i]);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}
