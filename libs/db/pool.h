// Pool: a fixed number of PostgreSQL connections shared by a service's handlers. Connections
// are opened on demand and dropped when broken, so a PostgreSQL restart heals by itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
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
  // `acquire_timeout`: how long acquire() waits by default before answering kBusy; keep it
  // below the callers' request deadline so they hear "busy", not a timeout.
  Pool(std::string dsn, int size,
       std::chrono::milliseconds acquire_timeout = std::chrono::seconds(2));
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Waits up to `timeout` for a free connection: kBusy (with a retry hint) when none is free in
  // time, kUnavailable when PostgreSQL cannot be reached.
  Result<Lease> acquire();
  Result<Lease> acquire(std::chrono::milliseconds timeout);

  // Runs `work` in a transaction and commits it when `work` returns nothing, an ok Status or
  // an ok Result<T>; a non-ok Status or Result rolls the transaction back and comes back as it
  // is (so a use case can abort with kConflict and leave no trace). A broken connection, a
  // serialization failure or a deadlock is retried (up to `attempts`) on a fresh transaction;
  // `work` must therefore be safe to run again from the start. No free connection within the
  // acquire timeout is kBusy (503 with Retry-After at the gateway).
  template <typename Work>
  auto transact(Work&& work, int attempts = 3) {
    using Returned = std::invoke_result_t<Work&, pqxx::work&>;
    if constexpr (std::is_void_v<Returned>) {
      return run_transaction(
          [&](pqxx::work& tx) {
            work(tx);
            return Status::ok();
          },
          attempts);
    } else if constexpr (std::is_same_v<Returned, Status>) {
      return run_transaction([&](pqxx::work& tx) { return work(tx); }, attempts);
    } else {
      std::optional<Returned> kept;
      Status status = run_transaction(
          [&](pqxx::work& tx) {
            kept.emplace(work(tx));
            return kept->status();
          },
          attempts);
      if (!status.is_ok()) return Returned(status);
      return std::move(*kept);
    }
  }

  // True when a connection can be had and answers SELECT 1.
  bool healthy();

  const std::string& dsn() const { return dsn_; }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<pqxx::connection> connection);
  Status run_transaction(const std::function<Status(pqxx::work&)>& work, int attempts);

  std::string dsn_;
  int size_;
  std::chrono::milliseconds acquire_timeout_;
  int open_ = 0;  // connections that exist (idle or leased)
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

}  // namespace mpli::db
