// Temporary stand-in while this module is being written; delete when real files land.
