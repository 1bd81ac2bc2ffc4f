/* Local transaction outcome (C API). */
#ifndef ROCKETMQ_C_TRANSACTION_STATUS_H_
#define ROCKETMQ_C_TRANSACTION_STATUS_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef enum E_CTransactionStatus {
  E_COMMIT_TRANSACTION = 0,
  E_ROLLBACK_TRANSACTION = 1,
  E_UNKNOWN_TRANSACTION = 2
} CTransactionStatus;

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_TRANSACTION_STATUS_H_ */
