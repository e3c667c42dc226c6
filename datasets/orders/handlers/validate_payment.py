"""ValidatePayment: checks the order's payment.

Runs as an AWS Lambda function (lambda_handler) or locally: task input JSON on stdin,
result JSON on stdout.
"""
import json
import sys

DECLINED_TOKENS = {"tok_declined", "tok_expired"}


def lambda_handler(event, context):
    payment = event.get("payment") or {}
    order_id = event.get("orderId", "")
    if payment.get("cardToken") in DECLINED_TOKENS:
        return {"status": "FAIL", "reason": "card declined", "orderId": order_id}
    return {
        "status": "OK",
        "orderId": order_id,
        "transactionId": "txn-" + order_id,
        "amount": payment.get("amount"),
        "currency": payment.get("currency"),
    }


if __name__ == "__main__":
    print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
