"""Responses recorded from the real QuickBooks Online API, as quoted in
shared/reference/quickbooks-online-api.md (sections 2, 3, 4 and 6). The sandbox's answers are
held against their keys, value types and the values that must match; timestamps and ids vary.
"""

from __future__ import annotations

import json
from decimal import Decimal


def _load(text: str):
    return json.loads(text, parse_float=Decimal)


VENDOR_CREATE = _load(
    """{"Vendor":{"domain":"QBO","PrimaryEmailAddr":{"Address":"dbradley@myemail.com"},"DisplayName":"Dianne's Auto Shop",
 "CurrencyRef":{"name":"United States Dollar","value":"USD"},"GivenName":"Dianne","Title":"Ms.",
 "PrimaryPhone":{"FreeFormNumber":"(650) 555-2342"},"Active":true,
 "MetaData":{"CreateTime":"2015-07-28T12:51:21-07:00","LastUpdatedTime":"2015-07-28T12:51:21-07:00"},
 "Vendor1099":false,"BillAddr":{"City":"Millbrae","Country":"U.S.A","Line3":"29834 Mustang Ave.","Line2":"Dianne Bradley",
 "Line1":"Dianne's Auto Shop","PostalCode":"94030","CountrySubDivisionCode":"CA","Id":"423"},
 "Mobile":{"FreeFormNumber":"(650) 555-2000"},"WebAddr":{"URI":"http://DiannesAutoShop.com"},"Balance":0,"SyncToken":"0",
 "Suffix":"Sr.","CompanyName":"Dianne's Auto Shop","FamilyName":"Bradley","TaxIdentifier":"99-5688293",
 "AcctNum":"35372649","PrintOnCheckName":"Dianne's Auto Shop","sparse":false,"Id":"137"},
 "time":"2015-07-28T12:51:21.326-07:00"}"""
)

VENDOR_CREATE_REQUEST = _load(
    """{"PrimaryEmailAddr":{"Address":"dbradley@myemail.com"},"WebAddr":{"URI":"http://DiannesAutoShop.com"},
 "PrimaryPhone":{"FreeFormNumber":"(650) 555-2342"},"DisplayName":"Dianne's Auto Shop","Suffix":"Sr.","Title":"Ms.",
 "Mobile":{"FreeFormNumber":"(650) 555-2000"},"FamilyName":"Bradley","TaxIdentifier":"99-5688293","AcctNum":"35372649",
 "CompanyName":"Dianne's Auto Shop","BillAddr":{"City":"Millbrae","Country":"U.S.A","Line3":"29834 Mustang Ave.",
 "Line2":"Dianne Bradley","Line1":"Dianne's Auto Shop","PostalCode":"94030","CountrySubDivisionCode":"CA"},
 "GivenName":"Dianne","PrintOnCheckName":"Dianne's Auto Shop"}"""
)

CUSTOMER_CREATE = _load(
    """{"Customer":{"domain":"QBO","PrimaryEmailAddr":{"Address":"jdrew@myemail.com"},"DisplayName":"King's Groceries",
 "CurrencyRef":{"name":"United States Dollar","value":"USD"},"DefaultTaxCodeRef":{"value":"2"},
 "PreferredDeliveryMethod":"Print","GivenName":"James","FullyQualifiedName":"King's Groceries","BillWithParent":false,
 "Title":"Mr","Job":false,"BalanceWithJobs":0,"PrimaryPhone":{"FreeFormNumber":"(555) 555-5555"},"Taxable":true,
 "MetaData":{"CreateTime":"2015-07-23T10:58:12-07:00","LastUpdatedTime":"2015-07-23T10:58:12-07:00"},
 "BillAddr":{"City":"Mountain View","Country":"USA","Line1":"123 Main Street","PostalCode":"94042","CountrySubDivisionCode":"CA","Id":"112"},
 "MiddleName":"B","Notes":"Here are other details.","Active":true,"Balance":0,"SyncToken":"0","Suffix":"Jr",
 "CompanyName":"King Groceries","FamilyName":"King","PrintOnCheckName":"King Groceries","sparse":false,"Id":"67"},
 "time":"2015-07-23T10:58:12.099-07:00"}"""
)

CLASS_CREATE = _load(
    """{"Class":{"FullyQualifiedName":"France","domain":"QBO","Name":"France","SyncToken":"0","SubClass":false,"sparse":false,
 "Active":true,"Id":"5000000000000007280","MetaData":{"CreateTime":"2015-07-22T13:57:27-07:00","LastUpdatedTime":"2015-07-22T13:57:27-07:00"}},
 "time":"2015-07-22T13:57:27.84-07:00"}"""
)

PURCHASE_ORDER_CREATE = _load(
    """{"PurchaseOrder":{"DocNumber":"1007","SyncToken":"0","domain":"QBO","VendorRef":{"name":"Hicks Hardware","value":"41"},
 "TxnDate":"2015-07-28","TotalAmt":25.0,"APAccountRef":{"name":"Accounts Payable (A/P)","value":"33"},"EmailStatus":"NotSet",
 "sparse":false,"Line":[{"DetailType":"ItemBasedExpenseLineDetail","Amount":25.0,"ProjectRef":{"value":"39298034"},"Id":"1",
  "ItemBasedExpenseLineDetail":{"ItemRef":{"name":"Pump","value":"11"},"CustomerRef":{"name":"Cool Cars","value":"3"},"Qty":1,
  "TaxCodeRef":{"value":"NON"},"BillableStatus":"NotBillable","UnitPrice":25}}],
 "Id":"259","MetaData":{"CreateTime":"2015-07-28T16:06:03-07:00","LastUpdatedTime":"2015-07-28T16:06:03-07:00"}},
 "time":"2015-07-28T16:06:04.864-07:00"}"""
)

BILL_CREATE = _load(
    """{"Bill":{"SyncToken":"0","domain":"QBO","VendorRef":{"name":"Bob's Burger Joint","value":"56"},"TxnDate":"2014-12-31",
 "TotalAmt":200.0,"APAccountRef":{"name":"Accounts Payable (A/P)","value":"33"},"Id":"151","sparse":false,
 "Line":[{"DetailType":"AccountBasedExpenseLineDetail","Amount":200.0,"Id":"1","AccountBasedExpenseLineDetail":
   {"TaxCodeRef":{"value":"NON"},"AccountRef":{"name":"Advertising","value":"7"},"BillableStatus":"NotBillable"}}],
 "Balance":200.0,"DueDate":"2014-12-31","MetaData":{"CreateTime":"2014-12-31T09:59:18-08:00","LastUpdatedTime":"2014-12-31T09:59:18-08:00"}},
 "time":"2014-12-31T09:59:17.449-08:00"}"""
)

DELETE_PURCHASE_ORDER = _load(
    """{ "PurchaseOrder": { "status": "Deleted", "domain": "QBO", "Id": "125" }, "time": "2015-05-26T14:08:39.858-07:00" }"""
)

QUERY_VENDORS = _load(
    """{ "QueryResponse": { "startPosition": 1, "Vendor": [ {}, {} ], "maxResults": 2 },
  "time": "2015-07-28T13:29:10.643-07:00" }"""
)

DUPLICATE_NAME = _load(
    """{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer, vendor or employee is already using this \\nname. Please use a different name.","code":"6240","element":""}],"type":"ValidationFault"},"time":"2015-11-05T08:52:58.683-08:00"}"""
)

OBJECT_NOT_FOUND_ERROR = {
    "Message": "Object Not Found",
    "Detail": "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees.",
    "code": "610",
}

STALE_OBJECT = _load(
    """{"Fault":{"type":"ValidationFault","Error":[{"Message":"Stale Object Error","code":"5010",
 "Detail":"Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.","element":""}]}}"""
)

REQUIRED_PARAM_ERROR = {
    "Message": "Required param missing, need to supply the required value for the API",
    "Detail": "Required parameter Line is missing in the request",
    "code": "2020",
}

AUTHENTICATION_FAILED = _load(
    """{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401",
 "detail":"Malformed bearer token: too short or too long","code":"3200","element":null}],"type":"AUTHENTICATION"},
 "report":null,"queryResponse":null,"batchItemResponse":[],"attachableResponse":[],"syncErrorResponse":null,
 "requestId":null,"time":1633520295688,"status":null,"cdcresponse":[]}"""
)

THROTTLED_XML = (
    '<IntuitResponse time="2016-04-15T09:01:18.141-07:00" xmlns="http://schema.intuit.com/finance/v3">'
    '<Fault type="SERVICE"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>"
)

CDC = _load(
    """{"CDCResponse":[{"QueryResponse":[
   {"Customer":[{}],"startPosition":1,"maxResults":1},
   {"Estimate":[{},{"status":"Deleted","domain":"QBO","Id":"979","MetaData":{"LastUpdatedTime":"2015-12-23T12:55:50-08:00"}}],
    "startPosition":1,"maxResults":5,"totalCount":5}]}],
 "time":"2015-12-23T12:56:06.196-08:00"}"""
)

CDC_EMPTY = {"CDCResponse": [{"QueryResponse": [{}]}]}

BATCH = _load(
    """{"BatchItemResponse":[
   {"bId":"bid1","Fault":{"type":"ValidationFault","Error":[{"Message":"Duplicate Name Exists Error","code":"6240","Detail":"...","element":""}]}},
   {"bId":"bid4","QueryResponse":{"SalesReceipt":[],"startPosition":1,"maxResults":1}},
   {"bId":"bid9","Vendor":{}}],
 "time":"2016-04-15T09:01:18.141-07:00"}"""
)

TOKEN_RESPONSE = _load(
    """{"token_type":"bearer","access_token":"eyJ...","refresh_token":"AB11...","expires_in":3600,
 "x_refresh_token_expires_in":8726400}"""
)
