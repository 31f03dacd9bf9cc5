/*
 * A fake VFIO type1 kernel for running a real QEMU binary as an oracle (LD_PRELOAD).
 *
 * It answers the legacy attach of one device (type1v2; IOVA ranges SHIM_IOVA, e.g.
 * `0-fedfffff,fef00000-ffffffffffff` (the default: 48 bits minus the x86 MSI window), empty
 * for no IOVA_RANGE capability) and logs every call in the form the package's tests print: `readlink
 * <path>`, `open <path>`, `<VFIO ioctl> [arg]`, `close`, with ` -> EIO` when it failed.
 * SHIM_FAIL_AT=k fails the k-th fallible call (readlink of iommu_group, opens under
 * /dev/vfio, VFIO ioctls except DMA map/unmap) with SHIM_FAIL_ERRNO (default EIO).
 * SHIM_DEVICE=1 also answers what vfio_pci_realize asks after the attach (region info: only
 * a 256-byte config space of zeros), so QEMU gets to pci_device_set_iommu_device.
 * Everything else goes to the real libc. Not part of the package build.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

enum kind { NONE, CONTAINER, GROUP, DEVICE };
static enum kind kinds[4096];
static int calls, fail_at = -1, fail_errno = EIO;
static FILE *logf_;

static void init(void)
{
    if (logf_) return;
    const char *l = getenv("SHIM_LOG");
    logf_ = l ? fopen(l, "w") : stderr;
    setvbuf(logf_, NULL, _IOLBF, 0);
    if (getenv("SHIM_FAIL_AT")) fail_at = atoi(getenv("SHIM_FAIL_AT"));
    if (getenv("SHIM_FAIL_ERRNO")) fail_errno = atoi(getenv("SHIM_FAIL_ERRNO"));
}

/* Counts a fallible call; returns 1 when it must fail. */
static int gate(const char *what)
{
    init();
    if (++calls == fail_at) {
        fprintf(logf_, "%s -> %s\n", what, fail_errno == EIO ? "EIO" : "ERR");
        errno = fail_errno;
        return 1;
    }
    fprintf(logf_, "%s\n", what);
    return 0;
}

static int null_fd(enum kind k)
{
    int (*real_open)(const char *, int, ...) = dlsym(RTLD_NEXT, "open64");
    int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0 && fd < 4096) kinds[fd] = k;
    return fd;
}

static int vfio_open(const char *path)
{
    char what[300];
    snprintf(what, sizeof(what), "open %s", path);
    if (gate(what)) return -1;
    return null_fd(strcmp(path, "/dev/vfio/vfio") == 0 ? CONTAINER : GROUP);
}

#define OPEN_WRAPPER(name)                                                     \
    int name(const char *path, int flags, ...)                                 \
    {                                                                          \
        va_list ap; va_start(ap, flags); int mode = va_arg(ap, int); va_end(ap); \
        if (strncmp(path, "/dev/vfio/", 10) == 0) return vfio_open(path);      \
        int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, #name);         \
        return real(path, flags, mode);                                        \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

ssize_t readlink(const char *path, char *buf, size_t size)
{
    ssize_t (*real)(const char *, char *, size_t) = dlsym(RTLD_NEXT, "readlink");
    const char *tail = strrchr(path, '/');
    if (tail && strcmp(tail, "/iommu_group") == 0) {
        char what[300];
        snprintf(what, sizeof(what), "readlink %s", path);
        if (gate(what)) return -1;
    }
    return real(path, buf, size);
}

int close(int fd)
{
    int (*real)(int) = dlsym(RTLD_NEXT, "close");
    if (fd >= 0 && fd < 4096 && kinds[fd] != NONE) {
        init();
        fprintf(logf_, "close\n");
        kinds[fd] = NONE;
    }
    return real(fd);
}

static const char *name_of(unsigned long req)
{
    switch (req) {
    case VFIO_GET_API_VERSION: return "VFIO_GET_API_VERSION";
    case VFIO_CHECK_EXTENSION: return "VFIO_CHECK_EXTENSION";
    case VFIO_SET_IOMMU: return "VFIO_SET_IOMMU";
    case VFIO_GROUP_GET_STATUS: return "VFIO_GROUP_GET_STATUS";
    case VFIO_GROUP_SET_CONTAINER: return "VFIO_GROUP_SET_CONTAINER";
    case VFIO_GROUP_UNSET_CONTAINER: return "VFIO_GROUP_UNSET_CONTAINER";
    case VFIO_GROUP_GET_DEVICE_FD: return "VFIO_GROUP_GET_DEVICE_FD";
    case VFIO_DEVICE_GET_INFO: return "VFIO_DEVICE_GET_INFO";
    case VFIO_IOMMU_GET_INFO: return "VFIO_IOMMU_GET_INFO";
    case VFIO_IOMMU_MAP_DMA: return "VFIO_IOMMU_MAP_DMA";
    case VFIO_IOMMU_UNMAP_DMA: return "VFIO_IOMMU_UNMAP_DMA";
    default: return NULL;
    }
}

static int container_set;

/* Parses SHIM_IOVA into ranges; returns how many. */
static int iova_ranges(struct vfio_iova_range *r, int max)
{
    const char *spec = getenv("SHIM_IOVA");
    if (!spec) spec = "0-fedfffff,fef00000-ffffffffffff";
    int n = 0;
    while (*spec && n < max) {
        char *end;
        r[n].start = strtoull(spec, &end, 16);
        r[n].end = strtoull(end + 1, &end, 16);
        n++;
        spec = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* struct vfio_iommu_type1_info followed by MIGRATION (32), DMA_AVAIL (16), IOVA_RANGE (16 + n * 16). */
static int get_info(struct vfio_iommu_type1_info *info)
{
    struct vfio_iova_range ranges[16];
    int n = iova_ranges(ranges, 16);
    const uint32_t needed = 24 + 32 + 16 + (n ? 16 + 16 * n : 0);
    info->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    info->iova_pgsizes = 0x40201000ULL;
    if (info->argsz < needed) { info->argsz = needed; info->cap_offset = 0; return 0; }
    info->cap_offset = 24;
    uint8_t *b = (uint8_t *)info;
    struct vfio_iommu_type1_info_cap_migration *mig = (void *)(b + 24);
    mig->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION; mig->header.version = 1; mig->header.next = 56;
    mig->flags = 0; mig->pgsize_bitmap = 0x1000; mig->max_dirty_bitmap_size = 1ULL << 28;
    struct vfio_iommu_type1_info_dma_avail *avail = (void *)(b + 56);
    avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL; avail->header.version = 1; avail->header.next = n ? 72 : 0;
    avail->avail = 65535;
    if (n) {
        struct vfio_iommu_type1_info_cap_iova_range *r = (void *)(b + 72);
        r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE; r->header.version = 1; r->header.next = 0;
        r->nr_iovas = n;
        memcpy(r->iova_ranges, ranges, n * sizeof(ranges[0]));
    }
    return 0;
}

/* VFIO_DEVICE_GET_REGION_INFO with SHIM_DEVICE: the config region only. */
static int region_info(struct vfio_region_info *r)
{
    r->flags = 0; r->size = 0; r->cap_offset = 0;
    r->offset = (uint64_t)r->index << 40;
    if (r->index == VFIO_PCI_CONFIG_REGION_INDEX) {
        r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        r->size = 256;
    }
    return 0;
}

static int device_fd(int fd)
{
    return getenv("SHIM_DEVICE") && fd >= 0 && fd < 4096 && kinds[fd] == DEVICE;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
{
    ssize_t (*real)(int, void *, size_t, off_t) = dlsym(RTLD_NEXT, "pread64");
    if (!device_fd(fd)) return real(fd, buf, count, offset);
    memset(buf, 0, count);
    return count;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
    ssize_t (*real)(int, const void *, size_t, off_t) = dlsym(RTLD_NEXT, "pwrite64");
    if (!device_fd(fd)) return real(fd, buf, count, offset);
    return count;
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap; va_start(ap, req); void *arg = va_arg(ap, void *); va_end(ap);
    int (*real)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
    if (fd < 0 || fd >= 4096 || kinds[fd] == NONE) return real(fd, req, arg);
    const char *name = name_of(req);
    char what[128];
    if (req == VFIO_CHECK_EXTENSION || req == VFIO_SET_IOMMU)
        snprintf(what, sizeof(what), "%s %lu", name, (unsigned long)arg);
    else
        snprintf(what, sizeof(what), "%s", name ? name : "ioctl");
    if (req == VFIO_IOMMU_MAP_DMA || req == VFIO_IOMMU_UNMAP_DMA) return 0;
    if (req == VFIO_DEVICE_GET_REGION_INFO && device_fd(fd)) return region_info(arg);
    if (!name) { init(); fprintf(logf_, "%s 0x%lx -> ENOTTY\n", what, req); errno = ENOTTY; return -1; }
    if (gate(what)) return -1;
    switch (req) {
    case VFIO_GET_API_VERSION: return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION: {
        unsigned long e = (unsigned long)arg;
        return e == VFIO_TYPE1_IOMMU || e == VFIO_TYPE1v2_IOMMU || e == VFIO_UNMAP_ALL;
    }
    case VFIO_SET_IOMMU: return 0;
    case VFIO_GROUP_GET_STATUS:
        ((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE | (container_set ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
        return 0;
    case VFIO_GROUP_SET_CONTAINER: container_set = 1; return 0;
    case VFIO_GROUP_UNSET_CONTAINER: container_set = 0; return 0;
    case VFIO_GROUP_GET_DEVICE_FD: return null_fd(DEVICE);
    case VFIO_DEVICE_GET_INFO: {
        struct vfio_device_info *i = arg;
        i->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET; i->num_regions = 9; i->num_irqs = 5;
        if (i->argsz >= sizeof(*i)) i->cap_offset = 0;
        return 0;
    }
    case VFIO_IOMMU_GET_INFO: return get_info(arg);
    }
    errno = ENOTTY;
    return -1;
}
