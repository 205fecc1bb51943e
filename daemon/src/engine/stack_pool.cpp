// StackPool implementation: see stack_pool.hpp. Scheduler thread only.
#include "engine/stack_pool.hpp"

#include <algorithm>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include <spdlog/spdlog.h>

namespace spindle::engine {

namespace {

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

[[noreturn]] void FailMapping(const char* what, size_t bytes, int err) {
  spdlog::error(
      "fiber stack {} of {} bytes failed: {} (each guard-paged stack uses two "
      "memory maps; raise the limit with 'sysctl -w vm.max_map_count=262144' "
      "or lower the number of concurrent fibers)",
      what, bytes, std::strerror(err));
  throw std::bad_alloc();
}

}  // namespace

size_t StackPool::PageSize() noexcept {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

StackPool::StackPool(size_t usable_size, size_t max_cached, size_t max_in_use)
    : usable_size_(RoundUp(usable_size < 16384 ? 16384 : usable_size, PageSize())),
      mapping_size_(usable_size_ + PageSize()),
      max_cached_(max_cached),
      max_in_use_(max_in_use) {
  if (const char* f = std::getenv("SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER")) {
    fault_mmaps_left_ = std::strtol(f, nullptr, 10);
    spdlog::warn("fault injection: fiber stack mappings fail after '{}'", fault_mmaps_left_);
  }
}

StackPool::~StackPool() {
  for (void* base : free_) ::munmap(base, mapping_size_);
}

boost::context::stack_context StackPool::Allocate() {
  void* base;
  if (max_in_use_ > 0 && in_use() >= max_in_use_) {
    spdlog::error("fiber limit of '{}' reached (max_fibers)", max_in_use_);
    throw std::bad_alloc();
  }
  if (free_.empty() && fault_mmaps_left_ == 0) FailMapping("mmap", mapping_size_, ENOMEM);
  if (fault_mmaps_left_ > 0 && free_.empty()) --fault_mmaps_left_;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else {
    base = ::mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) FailMapping("mmap", mapping_size_, errno);
    if (::mprotect(base, PageSize(), PROT_NONE) != 0) {
      const int err = errno;
      ::munmap(base, mapping_size_);
      FailMapping("guard page mprotect", mapping_size_, err);
    }
  }
  in_use_.store(in_use_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  boost::context::stack_context sctx;
  sctx.size = usable_size_;
  sctx.sp = static_cast<char*>(base) + mapping_size_;  // top: stacks grow down
  last_ = sctx;
  return sctx;
}

void StackPool::Deallocate(boost::context::stack_context& sctx) noexcept {
  void* base = static_cast<char*>(sctx.sp) - mapping_size_;
  const size_t in_use = in_use_.load(std::memory_order_relaxed) - 1;
  in_use_.store(in_use, std::memory_order_relaxed);
  // The cache follows the load: with thousands of fibers alive, fibers end
  // and start by the hundred between two polls, and a fixed small cache
  // would unmap and map a stack (three syscalls) for most of them. Half the
  // stacks in use are kept (at least max_cached_).
  const size_t cap = std::max(max_cached_, in_use / 2);
  if (free_.size() < cap) {
    try {
      free_.push_back(base);
      return;
    } catch (const std::bad_alloc&) {
    }
  }
  // Over the cap, the load has fallen: this stack goes, and one more from
  // the cache, so the cache (and the pages its stacks hold) shrinks back as
  // fibers end.
  if (free_.size() > cap) {
    ::munmap(free_.back(), mapping_size_);
    free_.pop_back();
  }
  ::munmap(base, mapping_size_);
}

}  // namespace spindle::engine
