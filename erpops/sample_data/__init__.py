"""Synthetic legacy exports of a Chinese e-commerce company, with realistic dirt, and the mapping that loads them."""
