"""The inspector beside an image view: the pixel under the cursor, the value range of deep images, the histogram."""
