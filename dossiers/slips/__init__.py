"""Reading a dossier code from a photo of the appointment slip: the image checked before it is decoded
(`limits`), its QR codes and barcodes (`symbols`), else its printed text (`printed`), orchestrated off the event
loop with a time limit (`reader`). No transport here: channels hand in bytes and get a `SlipReading` back."""
