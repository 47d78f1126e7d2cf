"""The web adapter: the Mini App storefront over the same domain services as the chat."""

from web.app import build_storefront, mount_storefront
from web.config import StorefrontConfig

__all__ = ["StorefrontConfig", "build_storefront", "mount_storefront"]
