"""The 3D body twin: anny body from measurements, poses, appearance, garments, renderers,
and the synthetic roster. Heavy libraries (torch, anny, renderers) load lazily."""
