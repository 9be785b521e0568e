"""What a job costs: a price table (shipped, overridable), estimates before a submit, the actual
charge after, and the daily and monthly budgets that refuse a submit before it is sent."""

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.costs.pricing import Pricing
from wan_video_mcp.costs.table import PriceTable

__all__ = ["Cost", "PriceTable", "Pricing"]
