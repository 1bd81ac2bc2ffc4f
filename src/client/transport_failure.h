#pragma once

#include <exception>

namespace rocketmq::client {

// How a request failed, for the callers that treat a lost path apart from a broker's answer: the
// producer isolates and probes a broker that did not answer at all, a pull loop retries soon after
// a probe closed its silent connection.
enum class TransportFailure {
  None,            // not a transport failure: the broker answered with an error, or a local one
  ConnectionLost,  // ConnectError: no connection could be made, or it went away (reset, closed)
  TimedOut,        // TimeoutError: no answer in time
};

// Never throws; a null `error` is None.
TransportFailure transport_failure(const std::exception_ptr& error) noexcept;

}  // namespace rocketmq::client
