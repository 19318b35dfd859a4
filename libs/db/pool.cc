#include "libs/db/pool.h"

#include <thread>

#include "libs/core/log.h"

namespace mpli::db {

Lease::~Lease() {
  if (pool_ != nullptr && connection_) pool_->give_back(std::move(connection_));
}

Pool::Pool(std::string dsn, int size, std::chrono::milliseconds acquire_timeout)
    : dsn_(std::move(dsn)), size_(size), acquire_timeout_(acquire_timeout) {}

Result<Lease> Pool::acquire() { return acquire(acquire_timeout_); }

Result<Lease> Pool::acquire(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (idle_.empty() && open_ >= size_) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return busy("all " + std::to_string(size_) + " database connections busy for " +
                      std::to_string(timeout.count()) + " ms",
                  std::chrono::seconds(1));
    }
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  try {
    auto connection = std::make_unique<pqxx::connection>(dsn_);
    return Lease(this, std::move(connection));
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> relock(mutex_);
    --open_;
    available_.notify_one();
    // The DSN may hold a password: say what failed, never the DSN itself.
    return unavailable(std::string("database unreachable: ") + e.what());
  }
}

void Pool::give_back(std::unique_ptr<pqxx::connection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (connection->is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // broken (PostgreSQL restarted): the next acquire opens a fresh one
  }
  available_.notify_one();
}

Status Pool::run_transaction(const std::function<Status(pqxx::work&)>& work, int attempts) {
  Status last = unavailable("no attempt made");
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto lease = acquire();
    if (!lease) {
      // Busy already waited its acquire timeout: waiting again would only turn the caller's
      // "busy, retry later" into its own timeout.
      if (lease.status().code() == StatusCode::kBusy) return lease.status();
      last = lease.status();
    } else {
      try {
        pqxx::work tx(**lease);
        Status outcome = work(tx);
        if (!outcome.is_ok()) return outcome;  // the transaction rolls back as it goes
        tx.commit();
        return Status::ok();
      } catch (const pqxx::broken_connection& e) {
        (*lease)->disconnect();
        last = unavailable(std::string("database connection lost: ") + e.what());
      } catch (const pqxx::serialization_failure& e) {
        last = Status(StatusCode::kUnavailable, std::string("serialization failure: ") + e.what());
      } catch (const pqxx::deadlock_detected& e) {
        last = Status(StatusCode::kUnavailable, std::string("deadlock: ") + e.what());
      } catch (const pqxx::unique_violation& e) {
        return Status(StatusCode::kAlreadyExists, e.what());
      } catch (const pqxx::check_violation& e) {
        return invalid_argument(std::string("database check failed: ") + e.what());
      } catch (const pqxx::sql_error& e) {
        return internal_error(std::string("database error: ") + e.what());
      } catch (const pqxx::in_doubt_error& e) {
        // The commit may or may not have happened; retrying could apply it twice.
        return internal_error(std::string("commit outcome unknown: ") + e.what());
      }
    }
    if (attempt < attempts) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
  }
  return last;
}

bool Pool::healthy() {
  auto lease = acquire(std::chrono::milliseconds(1000));
  if (!lease) return false;
  try {
    pqxx::nontransaction tx(**lease);
    tx.exec("SELECT 1");
    return true;
  } catch (const pqxx::broken_connection&) {
    (*lease)->disconnect();
    return false;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace mpli::db
