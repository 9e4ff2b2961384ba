"""The document library: the plans the assistant answers from, and the safe changes admins make to them."""
