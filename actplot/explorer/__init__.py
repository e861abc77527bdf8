"""`actplot explore`: one self-contained HTML page with sliders, computed once (data.py, torch),
assembled from the page's own assets (page.py, assets/)."""
