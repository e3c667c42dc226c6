"""CheckAvailability: looks the item up in the (simulated) inventory.

An item out of stock fails with the error OutOfStock (caught by the state machine).
An item kept in the 'busy' warehouse times out on the first attempt with the error
TimeOut and succeeds on the retry (the state passes $$.State.RetryCount as 'attempt').
"""
import json
import sys

OUT_OF_STOCK = {"CAP-0099"}


class OutOfStock(Exception):
    pass


class TimeOut(Exception):
    pass


def lambda_handler(event, context):
    item = event["item"]
    if item["sku"] in OUT_OF_STOCK:
        raise OutOfStock("%s is out of stock" % item["sku"])
    if item.get("warehouse") == "busy" and event.get("attempt", 0) == 0:
        raise TimeOut("the inventory of warehouse 'busy' did not answer in time")
    return {"available": True, "warehouse": item.get("warehouse", "main"), "attempt": event.get("attempt", 0)}


if __name__ == "__main__":
    try:
        print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
    except Exception as e:  # report the error the way Lambda does
        print(json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)}))
        sys.exit(1)
