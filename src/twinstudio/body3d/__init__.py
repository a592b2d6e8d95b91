"""The 3D body twin: anny body from measurements, poses, appearance, garments, renderers
(the synthetic roster that uses them lives in ``twinstudio.demo``). Heavy libraries
(torch, anny, renderers) load lazily."""
