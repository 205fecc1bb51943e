// accept_balance.cpp: see accept_balance.hpp.
#include "server/accept_balance.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>

namespace spindle::server {
namespace {

static_assert(sizeof(AcceptBalance) % alignof(std::atomic<int64_t>) == 0);

size_t MappingSize(unsigned workers) {
  return sizeof(AcceptBalance) + sizeof(std::atomic<int64_t>) * std::max(workers, 1u);
}

}  // namespace

AcceptBalance* AcceptBalance::Create(unsigned workers) {
  void* p = mmap(nullptr, MappingSize(workers), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* b = new (p) AcceptBalance();
  b->workers_ = workers;
  for (unsigned i = 0; i < workers; ++i) new (&b->slot(i)) std::atomic<int64_t>(-1);
  return b;
}

void AcceptBalance::Destroy(AcceptBalance* balance) {
  if (balance) munmap(balance, MappingSize(balance->workers()));
}

BalanceSlot::BalanceSlot(AcceptBalance* table, unsigned index)
    : table_(table && index < table->workers() ? table : nullptr), index_(index) {
  Publish(0);
}

void BalanceSlot::Publish(size_t open) const {
  if (table_) table_->slot(index_).store(static_cast<int64_t>(open), std::memory_order_relaxed);
}

void BalanceSlot::Leave() const {
  if (table_) table_->Vacate(index_);
}

bool BalanceSlot::ShouldDefer(size_t open) const {
  if (!table_) return false;
  int64_t least = -1;
  for (unsigned i = 0; i < table_->workers(); ++i) {
    if (i == index_) continue;
    const int64_t n = table_->slot(i).load(std::memory_order_relaxed);
    if (n >= 0 && (least < 0 || n < least)) least = n;
  }
  if (least < 0) return false;  // no live sibling
  return static_cast<int64_t>(open) > least + std::max<int64_t>(2, least / 8);
}

}  // namespace spindle::server
