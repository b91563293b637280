"""Replies about the office web console (登录)."""

LOGIN_LINK = ("办公控制台登录链接（10分钟内有效，只能使用一次，请勿转发）：\n{url}\n"
              "请在办公电脑或手机浏览器中打开。用完请点页面上的“退出”。")
LOGIN_UNAVAILABLE = "您的账号已停用或未绑定，不能登录办公控制台。请联系管理员。"
