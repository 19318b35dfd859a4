// The termination signals (SIGTERM, SIGINT) of a process that blocks them in every thread and
// takes them with sigtimedwait in one place (the service runtime, worker_main).
#pragma once

#include <signal.h>

namespace mpli {

// The set to block before any thread starts.
inline sigset_t termination_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// True when one of them has arrived and not been taken yet. It stays pending, so the
// sigtimedwait that follows still takes it: a wait that is not a sigtimedwait (a first connect
// to the bus) asks this to stop early.
inline bool termination_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

}  // namespace mpli
