"""The canonical timeline schema and the event-type vocabulary."""

from __future__ import annotations

# Known event types in order of strength (a purchase says more about interest than a view).
EVENT_TYPES: tuple[str, ...] = ("view", "like", "cart", "purchase")

# Synonyms seen in public logs, mapped to the vocabulary above (keys are lower-case).
EVENT_SYNONYMS: dict[str, str] = {
    "view": "view", "pv": "view", "click": "view", "clicks": "view", "page_view": "view",
    "pageview": "view", "impression": "view", "detail": "view",
    "cart": "cart", "carts": "cart", "addtocart": "cart", "add_to_cart": "cart", "add-to-cart": "cart",
    "purchase": "purchase", "buy": "purchase", "order": "purchase", "orders": "purchase",
    "transaction": "purchase", "checkout": "purchase",
    "like": "like", "fav": "like", "favorite": "like", "favourite": "like", "wishlist": "like",
}  # fmt: skip

REQUIRED_COLUMNS: tuple[str, ...] = ("user_id", "item_id", "timestamp", "event_type")
OPTIONAL_COLUMNS: tuple[str, ...] = ("category", "item_name", "session_id", "categories")
# 1-based data row (header not counted) of the record in its file: error messages and tie order use it.
SOURCE_ROW = "source_row"
CANONICAL_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, SOURCE_ROW)

# Short keys accepted by --map (user=visitorid,...), and the canonical column each one names.
MAP_KEYS: dict[str, str] = {
    "user": "user_id", "item": "item_id", "time": "timestamp", "type": "event_type",
    "category": "category", "name": "item_name", "session": "session_id", "categories": "categories",
}  # fmt: skip

# Header names seen in public data sets, recognised without any --map (keys are lower-case).
COLUMN_SYNONYMS: dict[str, str] = {
    "user_id": "user_id", "userid": "user_id", "user": "user_id", "visitorid": "user_id",
    "visitor_id": "user_id", "customer_id": "user_id", "uid": "user_id",
    "item_id": "item_id", "itemid": "item_id", "item": "item_id", "aid": "item_id",
    "product_id": "item_id", "productid": "item_id", "movieid": "item_id", "sku": "item_id",
    "timestamp": "timestamp", "ts": "timestamp", "time": "timestamp", "datetime": "timestamp",
    "event_time": "timestamp", "date": "timestamp",
    "event_type": "event_type", "event": "event_type", "type": "event_type",
    "behavior_type": "event_type", "behaviour_type": "event_type", "action": "event_type",
    "category": "category", "category_id": "category", "categoryid": "category", "cat": "category",
    "item_name": "item_name", "name": "item_name", "title": "item_name", "product_name": "item_name",
    "session_id": "session_id", "session": "session_id", "sessionid": "session_id",
    "categories": "categories", "genres": "categories",
}  # fmt: skip
