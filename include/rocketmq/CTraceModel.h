/* Message trace switch of the C API (CCommon.h includes it, where the older client declared it). */
#ifndef ROCKETMQ_C_TRACE_MODEL_H_
#define ROCKETMQ_C_TRACE_MODEL_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _CTraceModel_ { OPEN = 0, CLOSE = 1 } CTraceModel;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_TRACE_MODEL_H_ */
