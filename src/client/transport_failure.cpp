// Classifies a request's failure by the exception the remoting layer raised for it (see
// transport_failure.h). One place, so the producer's isolation and the consumer's pull retries
// agree on what a lost connection is.

#include "client/transport_failure.h"

#include "rocketmq/error.h"

namespace rocketmq::client {

TransportFailure transport_failure(const std::exception_ptr& error) noexcept {
  if (!error) return TransportFailure::None;
  try {
    std::rethrow_exception(error);
  } catch (const ConnectError&) {
    return TransportFailure::ConnectionLost;
  } catch (const TimeoutError&) {
    return TransportFailure::TimedOut;
  } catch (...) {
    return TransportFailure::None;
  }
}

}  // namespace rocketmq::client
