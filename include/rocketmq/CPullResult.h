/* Result of Pull (C API), returned by value. */
#ifndef ROCKETMQ_C_PULL_RESULT_H_
#define ROCKETMQ_C_PULL_RESULT_H_

#include "CCommon.h"
#include "CMessageExt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum E_CPullStatus {
  E_FOUND = 0,
  E_NO_NEW_MSG = 1,
  E_NO_MATCHED_MSG = 2,
  E_OFFSET_ILLEGAL = 3,
  E_BROKER_TIMEOUT = 4 /* the pull timed out or got no answer */
} CPullStatus;

/* 56 bytes on x86-64. */
typedef struct _CPullResult_ {
  CPullStatus pullStatus;
  long long nextBeginOffset;
  long long minOffset;
  long long maxOffset;
  CMessageExt** msgFoundList;
  int size;
  void* pData;
} CPullResult;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_PULL_RESULT_H_ */
