-- Opened by tests/lsp_neovim.rs: attaches `komo lsp` to the current buffer, waits for
-- its diagnostics and writes what Neovim received to $KOMO_OUT as JSON, then quits.
-- Works with Neovim 0.7 (start_client + buf_attach_client) and later (vim.lsp.start).
local bin = os.getenv("KOMO_BIN")
local out = os.getenv("KOMO_OUT")
local buf = vim.api.nvim_get_current_buf()
local config = { name = "komo", cmd = { bin, "lsp" }, root_dir = vim.fn.getcwd() }
local id
if vim.lsp.start then
  id = vim.lsp.start(config, { bufnr = buf })
else
  id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, id)
end
local received = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local lsp = (d.user_data and d.user_data.lsp) or {}
  table.insert(diagnostics, {
    lnum = d.lnum,
    col = d.col,
    end_lnum = d.end_lnum,
    end_col = d.end_col,
    severity = d.severity,
    source = d.source,
    message = d.message,
    code = d.code or lsp.code,
  })
end
local file = io.open(out, "w")
file:write(vim.fn.json_encode({ received = received, diagnostics = diagnostics }))
file:close()
pcall(vim.lsp.stop_client, id)
vim.cmd("qa!")
