"""A deterministic generator of realistic demo catalogues (English and Chinese).

`generate_catalogue(n, seed)` returns the same categories and products for the same arguments,
from 20 to 100,000 products, for the demo, tests and benchmarks. Categories are a two-level
tree; products reference their category by its *index* in `categories` (see DemoCatalogue).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from domain.catalog.types import Localized, ProductDraft, VariantDraft

MIN_GOODS, MAX_GOODS = 20, 100_000

# (type en, type zh, price range in cents, kind) — kind picks specs and variants.
_Type = tuple[str, str, int, int, str]
# top category -> (zh, brands [(en, zh)], [(sub en, sub zh, [types])])
_TREE: list[tuple[str, str, list[tuple[str, str]], list[tuple[str, str, list[_Type]]]]] = [
    (
        "Electronics",
        "电子产品",
        [
            ("Huawei", "华为"),
            ("Xiaomi", "小米"),
            ("Apple", "苹果"),
            ("Samsung", "三星"),
            ("Lenovo", "联想"),
            ("Sony", "索尼"),
            ("Anker", "安克"),
            ("OPPO", "欧珀"),
        ],
        [
            ("Smartphones", "手机", [("Smartphone", "智能手机", 19900, 139900, "phone")]),
            (
                "Laptops",
                "笔记本电脑",
                [
                    ("Laptop", "笔记本电脑", 49900, 249900, "computer"),
                    ("Ultrabook", "超极本", 79900, 299900, "computer"),
                ],
            ),
            (
                "Audio",
                "音频",
                [
                    ("Wireless Earbuds", "无线耳机", 1999, 29900, "gadget"),
                    ("Headphones", "头戴式耳机", 2999, 49900, "gadget"),
                    ("Bluetooth Speaker", "蓝牙音箱", 1999, 39900, "gadget"),
                ],
            ),
            ("Tablets", "平板电脑", [("Tablet", "平板电脑", 12900, 119900, "computer")]),
            (
                "Wearables",
                "智能穿戴",
                [
                    ("Smartwatch", "智能手表", 4900, 79900, "gadget"),
                    ("Fitness Band", "运动手环", 1999, 12900, "gadget"),
                ],
            ),
            (
                "Accessories",
                "配件",
                [
                    ("Phone Case", "手机壳", 599, 4900, "gadget"),
                    ("Charger", "充电器", 999, 6900, "gadget"),
                    ("Power Bank", "充电宝", 1499, 8900, "gadget"),
                ],
            ),
        ],
    ),
    (
        "Home & Kitchen",
        "家居厨房",
        [
            ("Midea", "美的"),
            ("Supor", "苏泊尔"),
            ("Joyoung", "九阳"),
            ("IKEA", "宜家"),
            ("Philips", "飞利浦"),
        ],
        [
            (
                "Kitchen Appliances",
                "厨房电器",
                [
                    ("Rice Cooker", "电饭煲", 2999, 29900, "home"),
                    ("Electric Kettle", "电水壶", 1599, 9900, "home"),
                    ("Air Fryer", "空气炸锅", 3999, 19900, "home"),
                ],
            ),
            (
                "Cookware",
                "锅具",
                [
                    ("Frying Pan", "平底锅", 1299, 12900, "home"),
                    ("Wok", "炒锅", 1599, 15900, "home"),
                ],
            ),
            (
                "Furniture",
                "家具",
                [
                    ("Desk Lamp", "台灯", 999, 8900, "home"),
                    ("Office Chair", "办公椅", 4999, 39900, "home"),
                ],
            ),
            (
                "Bedding",
                "床上用品",
                [
                    ("Pillow", "枕头", 999, 7900, "textile"),
                    ("Duvet", "被子", 2999, 29900, "textile"),
                ],
            ),
        ],
    ),
    (
        "Fashion",
        "服装鞋包",
        [
            ("Li-Ning", "李宁"),
            ("Anta", "安踏"),
            ("Uniqlo", "优衣库"),
            ("Nike", "耐克"),
            ("Adidas", "阿迪达斯"),
            ("Bosideng", "波司登"),
        ],
        [
            (
                "Men's Clothing",
                "男装",
                [
                    ("T-Shirt", "T恤", 999, 5900, "apparel"),
                    ("Jacket", "夹克", 3999, 29900, "apparel"),
                    ("Jeans", "牛仔裤", 2999, 12900, "apparel"),
                ],
            ),
            (
                "Women's Clothing",
                "女装",
                [
                    ("Dress", "连衣裙", 2999, 19900, "apparel"),
                    ("Skirt", "半身裙", 1999, 9900, "apparel"),
                    ("Down Coat", "羽绒服", 7999, 59900, "apparel"),
                ],
            ),
            (
                "Shoes",
                "鞋靴",
                [
                    ("Running Shoes", "跑步鞋", 3999, 19900, "shoes"),
                    ("Sneakers", "运动鞋", 2999, 15900, "shoes"),
                    ("Boots", "靴子", 4999, 25900, "shoes"),
                ],
            ),
            (
                "Bags",
                "箱包",
                [
                    ("Backpack", "双肩包", 1999, 14900, "gadget"),
                    ("Handbag", "手提包", 2999, 39900, "gadget"),
                ],
            ),
        ],
    ),
    (
        "Sports & Outdoors",
        "运动户外",
        [("Decathlon", "迪卡侬"), ("Giant", "捷安特"), ("Li-Ning", "李宁"), ("Keep", "Keep")],
        [
            (
                "Fitness",
                "健身",
                [
                    ("Yoga Mat", "瑜伽垫", 999, 6900, "sport"),
                    ("Dumbbell", "哑铃", 1499, 14900, "sport"),
                ],
            ),
            (
                "Camping",
                "露营",
                [
                    ("Tent", "帐篷", 4999, 49900, "sport"),
                    ("Sleeping Bag", "睡袋", 2999, 19900, "sport"),
                ],
            ),
            (
                "Cycling",
                "骑行",
                [
                    ("Bicycle", "自行车", 19900, 199900, "sport"),
                    ("Cycling Helmet", "骑行头盔", 2999, 15900, "sport"),
                ],
            ),
        ],
    ),
    (
        "Beauty",
        "美妆个护",
        [("L'Oreal", "欧莱雅"), ("Perfect Diary", "完美日记"), ("Shiseido", "资生堂")],
        [
            (
                "Skincare",
                "护肤",
                [
                    ("Face Cream", "面霜", 1999, 19900, "beauty"),
                    ("Sunscreen", "防晒霜", 999, 7900, "beauty"),
                ],
            ),
            (
                "Makeup",
                "彩妆",
                [
                    ("Lipstick", "口红", 999, 5900, "beauty"),
                    ("Mascara", "睫毛膏", 899, 4900, "beauty"),
                ],
            ),
        ],
    ),
    (
        "Food & Drinks",
        "食品饮料",
        [
            ("Three Squirrels", "三只松鼠"),
            ("Bestore", "良品铺子"),
            ("Nestle", "雀巢"),
            ("Luckin", "瑞幸"),
        ],
        [
            (
                "Tea",
                "茶叶",
                [
                    ("Green Tea", "绿茶", 599, 9900, "food"),
                    ("Oolong Tea", "乌龙茶", 799, 12900, "food"),
                ],
            ),
            ("Coffee", "咖啡", [("Coffee Beans", "咖啡豆", 999, 5900, "food")]),
            (
                "Snacks",
                "零食",
                [
                    ("Dried Mango", "芒果干", 299, 1999, "food"),
                    ("Mixed Nuts", "混合坚果", 599, 3999, "food"),
                ],
            ),
        ],
    ),
]

_ADJECTIVES = [
    ("", ""),
    ("Wireless", "无线"),
    ("Portable", "便携"),
    ("Classic", "经典"),
    ("Premium", "高端"),
    ("Lightweight", "轻薄"),
    ("Smart", "智能"),
    ("Pro", "专业"),
]
_SERIES = [
    "Mate",
    "Nova",
    "Air",
    "Neo",
    "Ultra",
    "Plus",
    "Edge",
    "Prime",
    "Turbo",
    "Flex",
    "One",
    "Go",
    "Mini",
    "Max",
    "Lite",
    "Zen",
]
_COLOURS = [
    ("Black", "黑色"),
    ("White", "白色"),
    ("Blue", "蓝色"),
    ("Red", "红色"),
    ("Green", "绿色"),
    ("Grey", "灰色"),
    ("Pink", "粉色"),
]
_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
_SHOE_SIZES = ["38", "39", "40", "41", "42", "43", "44"]
_MATERIALS = ["Cotton", "Polyester", "Wool", "Linen", "Nylon", "Leather"]
_ORIGINS = ["China", "Vietnam", "Japan", "Germany", "Italy"]
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemoCategory:
    name: Localized
    parent: int | None  # index into DemoCatalogue.categories
    position: int


@dataclass(frozen=True, slots=True)
class DemoCatalogue:
    """Categories in insertion order (parents before children) and products whose
    `category_id` is an index into `categories`, to be replaced by the stored id."""

    categories: list[DemoCategory]
    products: list[ProductDraft]
    brands: list[str]


def _specs(kind: str, rng: random.Random, colour: str) -> list[tuple[str, str]]:
    if kind == "phone":
        return [
            ("Screen", f"{rng.choice(['6.1', '6.5', '6.7', '6.8'])} in"),
            ("Battery", f"{rng.randrange(3500, 6001, 100)} mAh"),
            ("Colour", colour),
        ]
    if kind == "computer":
        return [
            ("Screen", f"{rng.choice(['11', '13.3', '14', '15.6', '16'])} in"),
            ("Memory", f"{rng.choice([8, 16, 32])} GB"),
            ("Storage", f"{rng.choice([256, 512, 1024])} GB"),
        ]
    if kind in ("apparel", "textile"):
        return [("Material", rng.choice(_MATERIALS)), ("Colour", colour)]
    if kind == "shoes":
        return [("Upper", rng.choice(["Mesh", "Leather", "Knit"])), ("Colour", colour)]
    if kind == "food":
        return [
            ("Weight", f"{rng.choice([100, 250, 500, 1000])} g"),
            ("Shelf life", f"{rng.choice([6, 12, 18])} months"),
        ]
    return [
        ("Colour", colour),
        ("Weight", f"{rng.randrange(50, 5000, 50)} g"),
        ("Made in", rng.choice(_ORIGINS)),
    ]


def _variants(kind: str, sku: str, price: int, rng: random.Random) -> tuple[VariantDraft, ...]:
    """Sizes for clothes and shoes, storage for phones; other goods have none."""
    options: list[tuple[tuple[str, str], ...]]
    if kind == "apparel" and rng.random() < 0.7:
        sizes = _SIZES[rng.randrange(0, 2) : rng.randrange(4, 7)]
        colours = rng.sample(_COLOURS, 2)
        options = [(("Size", s), ("Colour", c[0])) for c in colours for s in sizes]
    elif kind == "shoes" and rng.random() < 0.7:
        options = [(("Size", s),) for s in _SHOE_SIZES]
    elif kind == "phone" and rng.random() < 0.5:
        options = [(("Storage", g),) for g in ("128 GB", "256 GB", "512 GB")]
    else:
        return ()
    step = max(100, price // 10)
    return tuple(
        VariantDraft(
            sku=f"{sku}-{i + 1:02d}",
            options=opts,
            price=price + (step * i if kind == "phone" else 0),
            on_hand=0 if rng.random() < 0.15 else rng.randrange(1, 60),
            position=i,
        )
        for i, opts in enumerate(options)
    )


def generate_catalogue(n: int, seed: int = 42) -> DemoCatalogue:
    """`n` products (clamped to 20..100,000) over a fixed category tree, reproducibly."""
    n = min(max(n, MIN_GOODS), MAX_GOODS)
    rng = random.Random(seed)
    categories: list[DemoCategory] = []
    slots: list[tuple[int, _Type, list[tuple[str, str]]]] = []
    brands: dict[str, None] = {}
    for top_pos, (top_en, top_zh, top_brands, subs) in enumerate(_TREE):
        top_index = len(categories)
        categories.append(DemoCategory(Localized(top_en, top_zh), None, top_pos))
        brands.update((b[0], None) for b in top_brands)
        for sub_pos, (sub_en, sub_zh, types) in enumerate(subs):
            categories.append(DemoCategory(Localized(sub_en, sub_zh), top_index, sub_pos))
            slots.extend((len(categories) - 1, t, top_brands) for t in types)

    products: list[ProductDraft] = []
    for i in range(n):
        # Round robin over product types so even 20 goods cover most of the shop.
        category, (type_en, type_zh, low, high, kind), type_brands = slots[i % len(slots)]
        brand_en, brand_zh = rng.choice(type_brands)
        adj_en, adj_zh = rng.choice(_ADJECTIVES) if rng.random() < 0.5 else ("", "")
        model = f"{rng.choice(_SERIES)} {rng.randrange(1, 100)}"
        title_en = " ".join(p for p in (brand_en, adj_en, type_en, model) if p)
        title_zh = f"{brand_zh}{adj_zh}{type_zh} {model}"
        colour_en, colour_zh = rng.choice(_COLOURS)
        price = rng.randrange(low, high) // 100 * 100 + 99
        sku = f"KS-{i + 1:06d}"
        specs = _specs(kind, rng, colour_en)
        summary = ", ".join(f"{k.lower()} {v}" for k, v in specs[:2])
        description = Localized(
            f"{title_en} in {colour_en.lower()}: {summary}. Ships within 24 hours.",
            f"{title_zh}，{colour_zh}。24小时内发货，七天无理由退货。",
        )
        variants = _variants(kind, sku, price, rng)
        age = timedelta(days=rng.randrange(0, 700), seconds=rng.randrange(0, 86400))
        sales = int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.8 else 0
        rated = rng.random() < 0.6
        products.append(
            ProductDraft(
                sku=sku,
                category_id=category,
                title=Localized(title_en, title_zh),
                description=description,
                brand=brand_en,
                price=price,
                currency="USD",
                compare_at=price * rng.randrange(110, 150) // 100 if rng.random() < 0.25 else None,
                photos=tuple(
                    f"https://picsum.photos/seed/{sku.lower()}-{k}/800/800"
                    for k in range(1, rng.randrange(2, 5))
                ),
                specs=tuple(specs),
                tags=tuple(t for t in (type_en.lower(), type_zh, adj_en.lower()) if t),
                on_hand=0 if rng.random() < 0.08 else rng.randrange(1, 200),
                low_stock_threshold=5,
                variants=variants,
                created_at=_EPOCH + age,
                views=sales * rng.randrange(5, 40) + rng.randrange(0, 50),
                sales=min(sales, 100_000),
                rating_avg=round(rng.uniform(3.0, 5.0), 1) if rated else 0.0,
                rating_count=rng.randrange(1, 500) if rated else 0,
            )
        )
    return DemoCatalogue(categories, products, list(brands))


def with_category_ids(draft: ProductDraft, stored_ids: list[int]) -> ProductDraft:
    """The draft with its category index replaced by the id the category was stored under."""
    return replace(draft, category_id=stored_ids[draft.category_id])
