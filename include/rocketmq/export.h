#pragma once

// Only declarations marked ROCKETMQ_API are exported from librocketmq.so; everything else is
// built with hidden visibility.
#if defined(ROCKETMQ_STATIC)
#define ROCKETMQ_API
#elif defined(ROCKETMQ_BUILDING_LIBRARY)
#define ROCKETMQ_API __attribute__((visibility("default")))
#else
#define ROCKETMQ_API __attribute__((visibility("default")))
#endif
