#include "rocketmq/error.h"

namespace rocketmq {

// Out-of-line destructors anchor each class's vtable and typeinfo in librocketmq, so an exception
// thrown inside the library is caught by type in the application.
Error::~Error() = default;
ClientError::~ClientError() = default;
ProtocolError::~ProtocolError() = default;
ConnectError::~ConnectError() = default;
TimeoutError::~TimeoutError() = default;
BrokerError::~BrokerError() = default;
AuthError::~AuthError() = default;

}  // namespace rocketmq
