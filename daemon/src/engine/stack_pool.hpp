// StackPool: guard-paged fiber stacks (mmap MAP_NORESERVE + one PROT_NONE page
// below each stack) kept on a free list, so spawning costs no syscall in the
// steady state and an overflow faults on the guard page instead of silently
// corrupting a neighbour. PooledStack is the cheap handle Boost.Context copies
// into each fiber record.
//
// Thread contract: one pool per scheduler; used only on the scheduler thread.
#pragma once

#include <boost/context/stack_context.hpp>

#include <atomic>
#include <cstddef>
#include <vector>

namespace spindle::engine {

class StackPool {
 public:
  // usable_size is rounded up to whole pages.
  // max_in_use: Allocate() beyond it throws std::bad_alloc (0: no cap).
  // The environment variable SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER=N (a fault
  // injection hook for tests) makes every fresh mapping after the first N
  // fail as if mmap() returned ENOMEM.
  // max_cached: stacks kept on the free list at least; more are kept while
  // many are in use (half the number in use).
  explicit StackPool(size_t usable_size, size_t max_cached = 256, size_t max_in_use = 0);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Throws std::bad_alloc (after logging a vm.max_map_count hint) when the
  // kernel refuses the mapping.
  boost::context::stack_context Allocate();
  void Deallocate(boost::context::stack_context& sctx) noexcept;

  size_t usable_size() const noexcept { return usable_size_; }
  // The stack handed out by the latest Allocate() (its bounds).
  const boost::context::stack_context& last_allocated() const noexcept { return last_; }
  // Any thread (a stats getter).
  size_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  static size_t PageSize() noexcept;

 private:
  size_t usable_size_;
  size_t mapping_size_;  // usable_size_ + guard page
  size_t max_cached_;
  size_t max_in_use_;
  long fault_mmaps_left_ = -1;  // SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER; -1 = off
  std::atomic<size_t> in_use_{0};
  std::vector<void*> free_;  // mapping bases (the guard page)
  boost::context::stack_context last_{};
};

struct PooledStack {
  StackPool* pool;
  boost::context::stack_context allocate() { return pool->Allocate(); }
  void deallocate(boost::context::stack_context& sctx) noexcept { pool->Deallocate(sctx); }
};

}  // namespace spindle::engine
