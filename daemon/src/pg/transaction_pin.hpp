// Pin: a transaction's hold on one pool connection. The pool marks the
// connection (Connection::pin) so that no other fiber's query goes to it;
// the connection clears `conn` when it dies, so a transaction on a lost
// connection fails with Unavailable instead of touching freed memory.
//
// Fiber contract: the client's scheduler only; plain data.
#pragma once

namespace spindle::pg::impl {

class Connection;

struct Pin {
  Connection* conn = nullptr;  // null once the connection is gone
  bool active = true;          // BEGIN sent, neither COMMIT nor ROLLBACK yet
};

}  // namespace spindle::pg::impl
