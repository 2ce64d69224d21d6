"""Pure rules of the product: stdlib, zoneinfo, dateutil and Decimal only (no Flask, no DB)."""
