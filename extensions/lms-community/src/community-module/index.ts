import { defineModule } from '@directus/extensions-sdk';
import ModuleRoot from './module.vue';

/**
 * The Community module of the admin app: the review queue, members and activity of the groups the user
 * moderates. Shown to admins and to app users who may read reports (the Instructor role, through the access
 * setup); students have no admin-app access at all.
 */
export default defineModule({
	id: 'community-moderation',
	name: 'Community',
	icon: 'forum',
	routes: [{ path: '', component: ModuleRoot }],
	preRegisterCheck(user, permissions) {
		if (user.admin_access) return true;
		const access = permissions['community_reports']?.['read']?.access;
		return access === 'partial' || access === 'full';
	},
});
