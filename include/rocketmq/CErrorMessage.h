/* Text of the last failure of a C API call on the calling thread (C API). */
#ifndef ROCKETMQ_C_ERROR_MESSAGE_H_
#define ROCKETMQ_C_ERROR_MESSAGE_H_

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Set by every call that fails, per thread; "" before the first failure. Valid until the next
   failing call on this thread. */
ROCKETMQCLIENT_API const char* GetLatestErrorMessage(void);

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_ERROR_MESSAGE_H_ */
