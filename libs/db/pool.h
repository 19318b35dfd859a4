// Pool: a fixed number of PostgreSQL connections shared by a service's handlers. Connections
// are opened on demand and dropped when broken, so a PostgreSQL restart heals by itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::db {

class Pool;

// A connection borrowed from the pool; returned when the lease ends.
class Lease {
 public:
  Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  pqxx::connection& operator*() { return *connection_; }
  pqxx::connection* operator->() { return connection_.get(); }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  Pool* pool_;
  std::unique_ptr<pqxx::connection> connection_;
};

class Pool {
 public:
  Pool(std::string dsn, int size);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Waits up to `timeout` for a free connection; kUnavailable when PostgreSQL cannot be reached.
  Result<Lease> acquire(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Runs `work` in a transaction and commits it. A broken connection or a serialization
  // failure is retried (up to `attempts`) on a fresh transaction; other errors come back as a
  // Status. `work` must therefore be safe to run again from the start.
  Status transact(const std::function<void(pqxx::work&)>& work, int attempts = 3);

  // True when a connection can be had and answers SELECT 1.
  bool healthy();

  const std::string& dsn() const { return dsn_; }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<pqxx::connection> connection);

  std::string dsn_;
  int size_;
  int open_ = 0;  // connections that exist (idle or leased)
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

}  // namespace mpli::db
